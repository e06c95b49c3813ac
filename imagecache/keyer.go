package imagecache

import (
	"context"

	"github.com/google/go-containerregistry/pkg/authn"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/frontend/hostkey"
	"github.com/devcache/devcache/internal/registry"
)

// HostKeyer computes keys with frontend/hostkey, the frontend's own rules
// run on the runner host.
type HostKeyer struct {
	// Insecure lists registries reached over plain HTTP besides loopback,
	// localhost and *.localhost.
	Insecure registry.Insecure
	// Platforms are the target platforms the build is given (nil: this
	// host's); the key includes them.
	Platforms []ocispecs.Platform
}

var _ Keyer = HostKeyer{}

// Inputs implements Keyer. The proxy's credentials are offered to the proxy
// host only; other registries get the docker config's.
func (k HostKeyer) Inputs(ctx context.Context, ws Workspace, config []byte, vars Variables, creds []HostCredentials) (*cachekey.Inputs, error) {
	in, err := hostkey.ComputeData(ctx, ws.Config, config, hostkey.Options{
		Subst:     vars.Substituter(),
		Keychain:  keychain(creds),
		Insecure:  k.Insecure,
		Platforms: k.Platforms,
	})
	if err != nil {
		return nil, err
	}
	return &in, nil
}

// keychain answers creds for their hosts and the docker config otherwise.
func keychain(creds []HostCredentials) authn.Keychain {
	return authn.NewMultiKeychain(hostKeychain(creds), authn.DefaultKeychain)
}

type hostKeychain []HostCredentials

func (h hostKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	for _, c := range h {
		if c.Host == r.RegistryStr() {
			return &authn.Basic{Username: c.Username, Password: c.Password}, nil
		}
	}
	return authn.Anonymous, nil
}
