package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/devcache/devcache/frontend/features"
	"github.com/devcache/devcache/frontend/features/registry"
)

// Media types of a Feature artifact.
const (
	mediaTypeFeatureConfig = "application/vnd.devcontainers"
	annotationMetadata     = "dev.containers.metadata"
	manifestFile           = "manifest.json"
	dockerConfigDir        = "/run/devcache/docker"
	// caDir holds the CA secret in the resolve step: SSL_CERT_DIR names
	// it, and Go still reads the image's bundle at its default path.
	caDir     = "/run/devcache/certs"
	layerFile = "devcontainer-feature.tar"
)

// oci resolves an OCI Feature. BuildKit cannot resolve its manifest
// (ResolveImageConfig rejects the devcontainers config media type), so the
// manifest is fetched by fetchManifest: by tag (re-resolved on every build)
// or by digest (a digest reference or a lockfile pin, verified). The layer
// is then fetched with llb.ImageBlob, which uses the client session's
// registry credentials (docker login), and unpacked with a copy.
func (r *resolver) oci(ctx context.Context, ref features.Ref) (*features.Resolved, error) {
	pinned := ref.Digest
	if pin, ok := r.lock.Pin(ref.UserID); ok && pinned == "" {
		pinned = pin.Integrity
	}
	scheme := "https"
	if r.insecure(ref.Registry) {
		scheme = "http"
	}
	what := ":" + ref.Tag
	if pinned != "" {
		what = "@" + pinned
	}
	dt, err := r.fetchManifest(ctx, ref, scheme, what, pinned)
	if err != nil {
		return nil, fmt.Errorf("fetching the manifest of Feature %s: %w", ref.String(), err)
	}
	dgst := digest.FromBytes(dt)
	if pinned != "" && dgst.String() != pinned {
		return nil, fmt.Errorf("feature %q: manifest digest %s does not match %s: %w", ref.UserID, dgst, pinned, cerrdefs.ErrFailedPrecondition)
	}
	var m ocispecs.Manifest
	if err := json.Unmarshal(dt, &m); err != nil {
		return nil, fmt.Errorf("feature %s: manifest: %w: %w", ref.String(), err, cerrdefs.ErrInvalidArgument)
	}
	if m.Config.MediaType != mediaTypeFeatureConfig || len(m.Layers) == 0 {
		return nil, fmt.Errorf("feature %s: not a Dev Container Feature (config media type %q, %d layers): %w",
			ref.String(), m.Config.MediaType, len(m.Layers), cerrdefs.ErrInvalidArgument)
	}
	blob := llb.ImageBlob(ref.Registry+"/"+ref.Repository+"@"+m.Layers[0].Digest.String(),
		llb.Filename(layerFile), dockerui.WithInternalName("fetch Feature "+ref.String()))
	files := unpack(blob, layerFile, "unpack Feature "+ref.String())
	fref, err := solve(ctx, r.c, files)
	if err != nil {
		return nil, fmt.Errorf("fetching the layer of Feature %s: %w", ref.String(), err)
	}
	meta := []byte(m.Annotations[annotationMetadata])
	if len(meta) == 0 {
		if meta, err = fref.ReadFile(ctx, client.ReadRequest{Filename: features.MetadataFile}); err != nil {
			return nil, fmt.Errorf("feature %s: %w", ref.String(), err)
		}
	}
	return r.finish(ctx, ref, fref, meta, dgst.String(), ref.Registry+"/"+ref.Repository+"@"+dgst.String())
}

// insecure reports whether a registry is reached over plain HTTP: loopback
// hosts (as BuildKit and the reference CLI do for localhost) and the ones
// listed in DEVCACHE_INSECURE_REGISTRIES.
func (r *resolver) insecure(registry string) bool {
	if r.o.insecure[registry] {
		return true
	}
	host := registry
	if h, _, err := net.SplitHostPort(registry); err == nil {
		host = h
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// fetchManifest returns the manifest bytes of ref at what (":tag" or
// "@digest"), the first way that applies:
//   - DEVCACHE_FEATURE_AUTH names a header secret for the registry: an
//     llb.HTTP source with that Authorization header;
//   - running from its image: the frontend runs itself in a build step
//     (resolve-feature-manifest: a full registry client with the token flow,
//     anonymous or with the docker config in DEVCACHE_REGISTRY_AUTH_SECRET;
//     the image's CA bundle plus the CA certificates in
//     DEVCACHE_REGISTRY_CA_SECRET verify https registries);
//   - in-process: the same registry client, from the client's process with
//     its docker credentials.
//
// Tags are re-resolved on every build; digests are verified.
func (r *resolver) fetchManifest(ctx context.Context, ref features.Ref, scheme, what, pinned string) ([]byte, error) {
	var checksum digest.Digest
	if pinned != "" {
		d, err := digest.Parse(pinned)
		if err != nil {
			return nil, fmt.Errorf("pinned digest %q: %w", pinned, cerrdefs.ErrInvalidArgument)
		}
		checksum = d
	}
	name := dockerui.WithInternalName("resolve Feature " + ref.String())
	if _, header := r.o.featureAuth[ref.Registry]; !header && r.self != nil {
		args := []string{"/bin/devcache-frontend", "resolve-feature-manifest", "--out", "/out/" + manifestFile}
		if scheme == "http" {
			args = append(args, "--insecure")
		}
		args = append(args, ref.Registry+"/"+ref.Repository+what)
		ro := []llb.RunOption{llb.Args(args), llb.AddEnv("DOCKER_CONFIG", dockerConfigDir), name}
		if checksum == "" {
			ro = append(ro, llb.IgnoreCache)
		}
		if id := r.o.registryAuthSecret; id != "" {
			ro = append(ro, llb.AddSecret(dockerConfigDir+"/config.json", llb.SecretID(id), llb.SecretOptional))
		}
		if id := r.o.registryCASecret; id != "" {
			ro = append(ro, llb.AddSecret(caDir+"/ca.crt", llb.SecretID(id)), llb.AddEnv("SSL_CERT_DIR", caDir))
		}
		out := r.self.Run(ro...).AddMount("/out", llb.Scratch())
		dt, _, err := readFile(ctx, r.c, out, manifestFile)
		return dt, err
	}
	if _, header := r.o.featureAuth[ref.Registry]; !header {
		dt, _, err := registry.FetchManifest(ctx, ref.Registry+"/"+ref.Repository+what, registry.Options{Insecure: scheme == "http"})
		return dt, err
	}
	opts := []llb.HTTPOption{
		llb.Filename(manifestFile),
		llb.Header(llb.HTTPHeader{Accept: ocispecs.MediaTypeImageManifest}),
		name,
	}
	if checksum != "" {
		opts = append(opts, llb.Checksum(checksum))
	}
	opts = append(opts, llb.AuthHeaderSecret(r.o.featureAuth[ref.Registry]))
	url := fmt.Sprintf("%s://%s/v2/%s/manifests/%s", scheme, ref.Registry, ref.Repository, what[1:])
	dt, _, err := readFile(ctx, r.c, llb.HTTP(url, opts...), manifestFile)
	return dt, err
}
