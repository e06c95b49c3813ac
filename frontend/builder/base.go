package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/llbgen"
)

// imageBase is the base of an image configuration for platform p: image
// (normalised by keyinputs.Image) pinned to dgst, the digest in the key,
// with its config for p. written is "image" as devcontainer.json has it
// (substituted), for the step's name.
func imageBase(ctx context.Context, c client.Client, bc *dockerui.Client, written string, image reference.Named, dgst digest.Digest, p ocispecs.Platform) (llbgen.Base, error) {
	pinned, err := reference.WithDigest(reference.TrimNamed(image), dgst)
	if err != nil {
		return llbgen.Base{}, err
	}
	_, _, cfg, err := c.ResolveImageConfig(ctx, pinned.String(), sourceresolver.Opt{
		LogName:  "resolve image config for " + image.String(),
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p, ResolveMode: bc.ImageResolveMode.String()},
	})
	if err != nil {
		return llbgen.Base{}, fmt.Errorf("resolving image %s: %w", written, err)
	}
	img, err := parseImage(cfg)
	if err != nil {
		return llbgen.Base{}, err
	}
	st, err := llb.Image(pinned.String(), llb.Platform(p), dockerui.WithInternalName("base image "+written)).WithImageConfig(cfg)
	if err != nil {
		return llbgen.Base{}, err
	}
	return llbgen.Base{State: st, Image: img}, nil
}

func parseImage(cfg []byte) (*dockerspec.DockerOCIImage, error) {
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(cfg, &img); err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	img.Created = nil
	return &img, nil
}

// dockerfile is a Dockerfile configuration's sources.
type dockerfile struct {
	// def holds the Dockerfile at path.
	def  llb.State
	path string
	// data is the Dockerfile's content (a cache-key input).
	data []byte
	// context is the build context ("build.context", relative to
	// devcontainer.json, default the Dockerfile's folder).
	context llb.State
}

// loadDockerfile is build.dockerfile, relative to devcontainer.json, as
// the key source read it (source.file), and the build context.
func loadDockerfile(ctx context.Context, bc *dockerui.Client, s *source, b *devcontainer.Build) (*dockerfile, error) {
	o := s.o
	f, err := s.file(ctx, b.Dockerfile)
	if err != nil {
		return nil, fmt.Errorf("reading Dockerfile %s: %w", b.Dockerfile, err)
	}
	df := &dockerfile{path: f.path, data: f.data}
	if df.def, err = f.ref.ToState(); err != nil {
		return nil, err
	}

	ctxDir := b.Context
	if ctxDir == "" {
		ctxDir = path.Dir(b.Dockerfile)
	}
	ctxDir = path.Clean(path.Join(o.contextDir, ctxDir))
	if strings.HasPrefix(ctxDir, "../") || ctxDir == ".." {
		return nil, fmt.Errorf("build.context %q is outside the build context: %w", b.Context, cerrdefs.ErrInvalidArgument)
	}
	var lopts []llb.LocalOption
	if ctxDir != "." {
		lopts = append(lopts, llb.IncludePatterns([]string{ctxDir}))
	}
	main, err := bc.MainContext(ctx, lopts...)
	if err != nil {
		return nil, err
	}
	df.context = subdir(*main, ctxDir, "build context "+ctxDir)
	return df, nil
}

// dockerfileBase builds the Dockerfile with BuildKit's Dockerfile frontend
// (a nested dockerfile.v0 solve) for one platform. build.options that map to
// frontend options apply (buildOptions); build.args and build.target win.
func dockerfileBase(ctx context.Context, c client.Client, bc *dockerui.Client, df *dockerfile, b *devcontainer.Build, p ocispecs.Platform) (llbgen.Base, error) {
	marshal := func(st llb.State) (*llb.Definition, error) {
		return st.Marshal(ctx, llb.WithCaps(c.BuildOpts().LLBCaps))
	}
	ctxDef, err := marshal(df.context)
	if err != nil {
		return llbgen.Base{}, err
	}
	dfDef, err := marshal(df.def)
	if err != nil {
		return llbgen.Base{}, err
	}
	opt, _ := buildOptions(b.Options)
	maps.Copy(opt, map[string]string{
		"filename":           df.path,
		"platform":           platforms.Format(p),
		"image-resolve-mode": bc.ImageResolveMode.String(),
	})
	if b.Target != "" {
		opt["target"] = b.Target
	}
	for _, k := range b.ArgOrder {
		opt["build-arg:"+k] = b.Args[k]
	}
	maps.Copy(opt, passThrough(bc.BuildOpts().Opts))
	// build.cacheFrom entries are registry cache imports, like the CLI's --cache-from.
	imports := append([]client.CacheOptionsEntry{}, bc.CacheImports...)
	for _, ref := range b.CacheFrom {
		imports = append(imports, client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": ref}})
	}
	res, err := c.Solve(ctx, client.SolveRequest{
		Frontend:       "dockerfile.v0",
		FrontendOpt:    opt,
		FrontendInputs: map[string]*pb.Definition{"context": ctxDef.ToPB(), "dockerfile": dfDef.ToPB()},
		CacheImports:   imports,
	})
	if err != nil {
		return llbgen.Base{}, fmt.Errorf("building %s: %w", b.Dockerfile, err)
	}
	ref, err := res.SingleRef()
	if err != nil {
		return llbgen.Base{}, err
	}
	cfg := res.Metadata[exptypes.ExporterImageConfigKey]
	img, err := parseImage(cfg)
	if err != nil {
		return llbgen.Base{}, err
	}
	st, err := ref.ToState()
	if err != nil {
		return llbgen.Base{}, err
	}
	if st, err = st.WithImageConfig(cfg); err != nil {
		return llbgen.Base{}, err
	}
	return llbgen.Base{State: st, Image: img}, nil
}

// passThrough keeps the options the nested Dockerfile build should see:
// no-cache and resource/network defaults, never build args or labels
// (those are the devcontainer build's).
func passThrough(opts map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range opts {
		switch k {
		case "no-cache", "add-hosts", "force-network-mode", "hostname", "shm-size", "ulimit", "cgroup-parent":
			out[k] = v
		}
	}
	return out
}
