package builder

import (
	"context"
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/devcache/devcache/frontend/features"
	"github.com/devcache/devcache/frontend/features/registry"
)

// Files of the manifest fetch.
const (
	manifestFile    = "manifest.json"
	dockerConfigDir = "/run/devcache/docker"
	// caDir holds the CA secret in the resolve step: SSL_CERT_DIR names
	// it, and Go still reads the image's bundle at its default path.
	caDir     = "/run/devcache/certs"
	layerFile = "devcontainer-feature.tar"
)

// Manifest implements keyinputs.Source. BuildKit cannot resolve a Feature
// manifest (ResolveImageConfig rejects the devcontainers config media
// type), so fetchManifest fetches it: by tag (re-resolved on every build) or
// by digest (a digest reference or a lockfile pin, verified by Collect).
func (s *source) Manifest(ctx context.Context, ref features.Ref) ([]byte, error) {
	scheme := "https"
	if s.o.insecure.PlainHTTP(ref.Registry) {
		scheme = "http"
	}
	what := ":" + ref.Tag
	if ref.Digest != "" {
		what = "@" + ref.Digest
	}
	return s.fetchManifest(ctx, ref, scheme, what, ref.Digest)
}

// Layer implements keyinputs.Source with llb.ImageBlob, which uses the
// client session's registry credentials (docker login); the layer is
// unpacked with a copy.
func (s *source) Layer(ctx context.Context, ref features.Ref, layer ocispecs.Descriptor, metadata bool) ([]byte, any, error) {
	blob := llb.ImageBlob(ref.Resource()+"@"+layer.Digest.String(),
		llb.Filename(layerFile), dockerui.WithInternalName("fetch Feature "+ref.String()))
	fref, err := solve(ctx, s.c, unpack(blob, layerFile, "unpack Feature "+ref.String()))
	if err != nil {
		return nil, nil, err
	}
	var meta []byte
	if metadata {
		if meta, err = fref.ReadFile(ctx, client.ReadRequest{Filename: features.MetadataFile}); err != nil {
			return nil, nil, fmt.Errorf("feature %s: %w", ref.String(), err)
		}
	}
	st, err := fref.ToState()
	return meta, st, err
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
func (s *source) fetchManifest(ctx context.Context, ref features.Ref, scheme, what, pinned string) ([]byte, error) {
	var checksum digest.Digest
	if pinned != "" {
		d, err := digest.Parse(pinned)
		if err != nil {
			return nil, fmt.Errorf("pinned digest %q: %w", pinned, errdefs.ErrInvalidArgument)
		}
		checksum = d
	}
	name := dockerui.WithInternalName("resolve Feature " + ref.String())
	if _, header := s.o.featureAuth[ref.Registry]; !header && s.self != nil {
		args := []string{"/bin/devcache-frontend", "resolve-feature-manifest", "--out", "/out/" + manifestFile}
		if scheme == "http" {
			args = append(args, "--insecure-registry", ref.Registry)
		}
		args = append(args, ref.Registry+"/"+ref.Repository+what)
		ro := []llb.RunOption{llb.Args(args), llb.AddEnv("DOCKER_CONFIG", dockerConfigDir), name}
		if checksum == "" {
			ro = append(ro, llb.IgnoreCache)
		}
		if id := s.o.registryAuthSecret; id != "" {
			ro = append(ro, llb.AddSecret(dockerConfigDir+"/config.json", llb.SecretID(id), llb.SecretOptional))
		}
		if id := s.o.registryCASecret; id != "" {
			ro = append(ro, llb.AddSecret(caDir+"/ca.crt", llb.SecretID(id)), llb.AddEnv("SSL_CERT_DIR", caDir))
		}
		out := s.self.Run(ro...).AddMount("/out", llb.Scratch())
		dt, _, err := readFile(ctx, s.c, out, manifestFile)
		return dt, err
	}
	if _, header := s.o.featureAuth[ref.Registry]; !header {
		dt, _, err := registry.FetchManifest(ctx, ref.Registry+"/"+ref.Repository+what, registry.Options{Insecure: s.o.insecure})
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
	opts = append(opts, llb.AuthHeaderSecret(s.o.featureAuth[ref.Registry]))
	url := fmt.Sprintf("%s://%s/v2/%s/manifests/%s", scheme, ref.Registry, ref.Repository, what[1:])
	dt, _, err := readFile(ctx, s.c, llb.HTTP(url, opts...), manifestFile)
	return dt, err
}
