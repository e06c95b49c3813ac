package builder

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/keyinputs"
	"github.com/devcache/devcache/frontend/llbgen"
)

// Language is the source-map language of devcontainer.json.
const Language = "JSON with Comments"

// Target is the frontend's only build target (--call targets, --no-cache-filter).
const Target = "devcontainer"

// Build is the frontend's client.BuildFunc.
func Build(ctx context.Context, c client.Client) (*client.Result, error) {
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, err
	}
	src, err := bc.ReadEntrypoint(ctx, Language)
	if err != nil {
		return nil, err
	}
	o := parseOptions(bc)
	lockRequest := bc.BuildOpts().Opts[keyRequestID] == lockfileRequest
	if !lockRequest {
		if res, ok, err := bc.HandleSubrequest(ctx, handlers(src, o)); err != nil || ok {
			return res, err
		}
	}

	raw, err := devcontainer.Parse(src.Filename, src.Data)
	if err != nil {
		return nil, withSource(err, src, nil)
	}
	featuresRange := raw.Source.Range("features")
	ks := newSource(c, bc, o, raw)
	kc := keyinputs.Config{Filename: o.filename, Data: src.Data, Raw: raw, Subst: o.subst}
	if lockRequest {
		fs, err := keyinputs.Features(ctx, kc, raw.Substitute(o.subst), ks)
		if err != nil {
			return nil, withSource(err, src, &featuresRange)
		}
		return lockfileResult(fs), nil
	}
	key, err := keyinputs.Collect(ctx, kc, ks)
	if err != nil {
		return nil, withSource(err, src, &featuresRange)
	}
	cfg := key.Config
	genFeatures := make([]llbgen.Feature, 0, len(key.Features))
	for _, f := range key.Features {
		gf := llbgen.Feature{Feature: f, Files: f.Content.(llb.State)}
		for _, e := range cfg.Features {
			if e.ID == f.Ref.UserID {
				gf.Location = src.Location([]*pb.Range{pbRange(e.Range)})
			}
		}
		genFeatures = append(genFeatures, gf)
	}

	var df *dockerfile
	if cfg.Build != nil {
		if _, ignored := buildOptions(cfg.Build.Options); len(ignored) > 0 {
			src.Warn(ctx, "build.options ignored (no BuildKit frontend equivalent): "+strings.Join(ignored, " "),
				client.WarnOpts{Range: []*pb.Range{pbRange(raw.Source.Range("build", "options"))}})
		}
		if df, err = loadDockerfile(ctx, bc, ks, cfg.Build); err != nil {
			return nil, withSource(err, src, rangeOf(raw, "build", "dockerfile"))
		}
	}

	rb, err := bc.Build(ctx, func(ctx context.Context, tp *ocispecs.Platform, _ int) (*dockerui.BuildResult, error) {
		var err error // per platform: platforms build concurrently
		p := bc.BuildPlatforms[0]
		if tp != nil {
			p = *tp
		}
		// Every image of a multi-platform build carries the key over all its platforms.
		inputs := key.Inputs
		inputs.Platforms = keyPlatforms(&bc.Config)
		var base llbgen.Base
		if df != nil {
			if base, err = dockerfileBase(ctx, c, bc, df, cfg.Build, p); err != nil {
				return nil, err
			}
		} else if base, err = imageBase(ctx, c, bc, cfg.Image, key.Image, inputs.ImageDigest, p); err != nil {
			return nil, withSource(err, src, rangeOf(raw, "image"))
		}
		// --label values first: the cache-key labels must not be overridden.
		labels := maps.Clone(bc.Labels)
		if labels == nil {
			labels = map[string]string{}
		}
		maps.Copy(labels, inputs.Labels())
		var constraints []llb.ConstraintsOpt
		if bc.IsNoCache(Target) {
			// --no-cache (or --no-cache-filter devcontainer) re-runs the Features.
			constraints = append(constraints, llb.IgnoreCache)
		}
		gen, err := llbgen.Generate(base, llbgen.Opt{
			Config:      cfg,
			Features:    genFeatures,
			Platform:    p,
			Labels:      labels,
			Constraints: constraints,
		})
		if err != nil {
			return nil, withSource(err, src, &featuresRange)
		}
		def, err := gen.State.Marshal(ctx, llb.Platform(p), llb.WithCaps(c.BuildOpts().LLBCaps))
		if err != nil {
			return nil, fmt.Errorf("marshal: %w", err)
		}
		res, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: bc.CacheImports})
		if err != nil {
			return nil, err
		}
		ref, err := res.SingleRef()
		if err != nil {
			return nil, err
		}
		return &dockerui.BuildResult{Reference: ref, Image: gen.Image, BaseImage: base.Image}, nil
	})
	if err != nil {
		return nil, err
	}
	return rb.Finalize()
}

func rangeOf(c *devcontainer.Config, p ...string) *devcontainer.Range {
	r := c.Source.Range(p...)
	return &r
}
