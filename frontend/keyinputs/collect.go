package keyinputs

import (
	"context"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/features"
)

// Config is the configuration whose inputs are collected.
type Config struct {
	// Filename is the configuration file's name as the build names it (its
	// base name decides the lockfile's name).
	Filename string
	// Data is the file's content; Raw is it parsed (devcontainer.Parse).
	Data []byte
	Raw  *devcontainer.Config
	// Subst expands ${localEnv:…} and friends as the build does.
	Subst devcontainer.Substituter
}

// Result is what Collect found.
type Result struct {
	// Inputs are the key's inputs but Platforms, which the caller sets.
	Inputs cachekey.Inputs
	// Config is the configuration with its variables substituted.
	Config *devcontainer.Config
	// Features are the installs in order, each checked against the lockfile.
	Features []*features.Feature
	// Image is "image" normalised (image configurations); Inputs.ImageDigest pins it.
	Image reference.Named
}

// Collect computes the cache key's inputs of c from src: the configuration
// file, the Features (lockfile pins honoured and checked), and the
// Dockerfile's content or the image's manifest digest. Errors that belong
// to a place in devcontainer.json are located there (devcontainer.Error).
func Collect(ctx context.Context, c Config, src Source) (*Result, error) {
	cfg := c.Raw.Substitute(c.Subst)
	fs, err := Features(ctx, c, cfg, src)
	if err != nil {
		return nil, err
	}
	res := &Result{Config: cfg, Features: fs, Inputs: cachekey.Inputs{DevcontainerJSON: c.Data}}
	for _, f := range fs {
		res.Inputs.Features = append(res.Inputs.Features, cachekey.Feature{ID: f.Ref.UserID, Digest: f.Digest})
	}
	if cfg.Build != nil {
		dt, err := src.ReadFile(ctx, cfg.Build.Dockerfile)
		if err != nil {
			return nil, wrapAt(c.Raw.Source, fmt.Errorf("the Dockerfile %s: %w", cfg.Build.Dockerfile, err),
				[]string{"build", "dockerfile"}, []string{"dockerFile"})
		}
		res.Inputs.Dockerfile = dt
		return res, nil
	}
	if res.Image, err = Image(cfg.Image); err == nil {
		res.Inputs.ImageDigest, err = src.ResolveImage(ctx, res.Image)
		if err == nil && res.Inputs.ImageDigest == "" {
			err = fmt.Errorf("image %s: no digest: %w", cfg.Image, cerrdefs.ErrNotFound)
		}
	}
	if err != nil {
		if names := c.Subst.EmptyLocalEnv(c.Raw.Image); len(names) > 0 {
			err = fmt.Errorf("${localEnv:%s} is empty or unset, so the image is %q: %w", strings.Join(names, "}, ${localEnv:"), cfg.Image, err)
		}
		return nil, c.Raw.Source.WrapAt(err, "image")
	}
	return res, nil
}

// Features resolves and orders cfg's Features (cfg is c.Raw substituted):
// the lockfile next to the configuration pins them, and every install is
// checked against it. It is what the lockfile subrequest needs.
func Features(ctx context.Context, c Config, cfg *devcontainer.Config, src Source) ([]*features.Feature, error) {
	lock, err := ReadLockfile(ctx, c.Filename, src)
	if err != nil {
		return nil, err
	}
	fs, err := features.Order(ctx, newResolver(src, lock), cfg.Features, features.OrderOpt{
		Override: cfg.OverrideFeatureInstallOrder,
		Subst:    c.Subst.String,
		Source:   c.Raw.Source,
	})
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if err := lock.Check(f); err != nil {
			return nil, err
		}
	}
	return fs, nil
}

// ReadLockfile reads the lockfile next to the configuration filename
// (features.LockfileFor): honoured and checked, never written. An absent
// lockfile pins nothing (nil).
func ReadLockfile(ctx context.Context, filename string, src Source) (*features.Lockfile, error) {
	name := features.LockfileFor(filename)
	dt, err := src.ReadFile(ctx, name)
	if cerrdefs.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return features.ParseLockfileNamed(name, dt)
}

// wrapAt locates err at the first of paths that devcontainer.json has.
func wrapAt(src *devcontainer.Source, err error, paths ...[]string) error {
	for _, p := range paths {
		if _, ok := src.Lookup(p...); ok {
			return src.WrapAt(err, p...)
		}
	}
	return err
}
