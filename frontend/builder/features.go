package builder

import (
	"context"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/features"
	"github.com/devcache/devcache/frontend/llbgen"
)

// loadFeatures resolves and orders the Features: one transfer of the
// devcontainer.json folder brings the lockfile and the local Features it
// lists; the lockfile pins and checks the others.
func loadFeatures(ctx context.Context, c client.Client, o options, src *dockerui.Source, cfg *devcontainer.Config) ([]*features.Feature, []llbgen.Feature, error) {
	lockPath := o.inConfigDir(lockfileName(o.filename))
	include := []string{lockPath}
	loaded := map[string]bool{}
	for _, e := range cfg.Features {
		if ref, err := features.ParseRef(e.ID); err == nil && ref.Type == features.Local {
			p := o.inConfigDir(ref.Path)
			include, loaded[p] = append(include, p), true
		}
	}
	folder, err := solve(ctx, c, o.dockerfileLocal("load devcontainer.json folder", include...))
	if err != nil {
		return nil, nil, err
	}
	lock, err := readLockfile(ctx, folder, lockPath)
	if err != nil {
		return nil, nil, err
	}
	r := newResolver(c, o, lock)
	r.folder, r.loaded = folder, loaded
	fs, err := features.Order(ctx, r, cfg.Features, features.OrderOpt{
		Override: cfg.OverrideFeatureInstallOrder,
		Subst:    o.subst.String,
		Source:   cfg.Source,
	})
	if err != nil {
		return nil, nil, err
	}
	gen := make([]llbgen.Feature, 0, len(fs))
	for _, f := range fs {
		if err := lock.Check(f); err != nil {
			return nil, nil, err
		}
		gf := llbgen.Feature{Feature: f, Files: f.Content.(llb.State)}
		for _, e := range cfg.Features {
			if e.ID == f.Ref.UserID {
				gf.Location = src.Location([]*pb.Range{pbRange(e.Range)})
			}
		}
		gen = append(gen, gf)
	}
	return fs, gen, nil
}
