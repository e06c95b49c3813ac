package hostkey

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/features"
	"github.com/devcache/devcache/frontend/features/registry"
	"github.com/devcache/devcache/frontend/metadata"
	access "github.com/devcache/devcache/internal/registry"
)

// Options configure Compute.
type Options struct {
	// Subst expands ${localEnv:…} and friends, as the build will (pass the
	// same values the build gets as build args).
	Subst devcontainer.Substituter
	// Keychain provides registry credentials (nil: the docker config).
	Keychain authn.Keychain
	// HTTPClient fetches tarball Features (nil: internal/httpclient's, with timeouts).
	HTTPClient *http.Client
	// Insecure lists registries reached over plain HTTP besides loopback,
	// localhost and *.localhost (internal/registry's one rule).
	Insecure access.Insecure
	// Platforms are the build's target platforms (nil: this host's).
	Platforms []ocispecs.Platform
}

// Compute returns the cache-key inputs of the devcontainer.json at path;
// Inputs.Key() is the key the frontend writes into the image built from it.
func Compute(ctx context.Context, path string, opt Options) (cachekey.Inputs, error) {
	in := cachekey.Inputs{Platforms: opt.Platforms}
	data, err := os.ReadFile(path)
	if err != nil {
		return in, err
	}
	in.DevcontainerJSON = data
	raw, err := devcontainer.Parse(filepath.Base(path), data)
	if err != nil {
		return in, err
	}
	cfg := raw.Substitute(opt.Subst)
	dir := filepath.Dir(path)

	lockName := features.LockfileName
	if strings.HasPrefix(filepath.Base(path), ".") {
		lockName = "." + lockName
	}
	var lock *features.Lockfile
	if dt, err := os.ReadFile(filepath.Join(dir, lockName)); err == nil {
		if lock, err = features.ParseLockfile(dt); err != nil {
			return in, err
		}
	}
	fs, err := features.Order(ctx, &resolver{dir: dir, opt: opt, lock: lock}, cfg.Features, features.OrderOpt{
		Override: cfg.OverrideFeatureInstallOrder, Subst: opt.Subst.String, Source: raw.Source,
	})
	if err != nil {
		return in, err
	}
	for _, f := range fs {
		if err := lock.Check(f); err != nil {
			return in, err
		}
		in.Features = append(in.Features, cachekey.Feature{ID: f.Ref.UserID, Digest: f.Digest})
	}
	// The frontend writes this label (with the base image's entries); a
	// configuration that makes it too large fails here, before a build.
	if _, err := metadata.Label(nil, fs, raw); err != nil {
		return in, wrapAt(raw.Source, err, []string{"customizations"})
	}

	if cfg.Build != nil {
		// Relative to devcontainer.json, possibly "../Dockerfile": the
		// user's own project, read like the build will.
		df := filepath.Join(dir, filepath.FromSlash(cfg.Build.Dockerfile))
		if in.Dockerfile, err = os.ReadFile(df); err != nil { //nolint:gosec // see above
			if errors.Is(err, iofs.ErrNotExist) {
				err = fmt.Errorf("the Dockerfile %s: %w", df, errdefs.ErrNotFound)
			}
			return in, wrapAt(raw.Source, err, []string{"build", "dockerfile"}, []string{"dockerFile"})
		}
		return in, nil
	}
	ref := imageRef(cfg.Image)
	_, d, err := registry.FetchManifest(ctx, ref, registry.Options{Insecure: opt.Insecure, Keychain: opt.Keychain})
	if err == nil && d == "" {
		err = fmt.Errorf("image %s: no digest: %w", cfg.Image, errdefs.ErrNotFound)
	}
	if err != nil {
		if names := opt.Subst.EmptyLocalEnv(raw.Image); len(names) > 0 {
			err = fmt.Errorf("${localEnv:%s} is empty or unset, so the image is %q: %w", strings.Join(names, "}, ${localEnv:"), cfg.Image, err)
		}
		return in, raw.Source.WrapAt(err, "image")
	}
	in.ImageDigest = d
	return in, nil
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

// imageRef adds the tag BuildKit defaults to (latest) when there is neither
// tag nor digest; registries default like docker's (docker.io/library).
func imageRef(image string) string {
	last := image[strings.LastIndex(image, "/")+1:]
	if !strings.Contains(last, ":") && !strings.Contains(last, "@") {
		return image + ":latest"
	}
	return image
}
