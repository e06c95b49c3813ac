package hostkey

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/keyinputs"
	"github.com/devcache/devcache/frontend/metadata"
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
	// Insecure lists registries reached over plain HTTP besides loopback.
	Insecure []string
	// Platforms are the build's target platforms (nil: this host's).
	Platforms []ocispecs.Platform
}

func (o Options) insecure(reg string) bool {
	for _, r := range o.Insecure {
		if r == reg {
			return true
		}
	}
	host := reg
	if h, _, err := net.SplitHostPort(reg); err == nil {
		host = h
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
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
	res, err := keyinputs.Collect(ctx, keyinputs.Config{
		Filename: filepath.Base(path), Data: data, Raw: raw, Subst: opt.Subst,
	}, source{dir: filepath.Dir(path), opt: opt})
	if err != nil {
		return in, err
	}
	// The frontend writes this label (with the base image's entries); a
	// configuration that makes it too large fails here, before a build.
	if _, err := metadata.Label(nil, res.Features, raw); err != nil {
		return in, raw.Source.WrapAt(err, "customizations")
	}
	res.Inputs.Platforms = opt.Platforms
	return res.Inputs, nil
}
