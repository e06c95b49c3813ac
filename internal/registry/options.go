package registry

import (
	"context"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/devcache/devcache/internal/httpclient"
)

// Options are how one client reaches registries: the plain-HTTP policy, the
// credentials and the transport. Remote turns them into go-containerregistry
// options.
type Options struct {
	// Insecure is the plain-HTTP policy (loopback and *.localhost always).
	Insecure Insecure
	// Auth, when set, are the credentials of every request.
	Auth authn.Authenticator
	// Keychain, when Auth is nil, resolves credentials per registry (nil:
	// anonymous; authn.DefaultKeychain reads the docker config).
	Keychain authn.Keychain
	// Transport is the HTTP transport (nil: internal/httpclient's, with
	// timeouts).
	Transport http.RoundTripper
	// Platform picks the image of an index (nil: go-containerregistry's
	// default, linux/amd64).
	Platform *v1.Platform
}

// Remote returns the go-containerregistry options of a request made with ctx.
func (o Options) Remote(ctx context.Context) []remote.Option {
	tr := o.Transport
	if tr == nil {
		tr = httpclient.Transport()
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(tr)}
	switch {
	case o.Auth != nil:
		opts = append(opts, remote.WithAuth(o.Auth))
	case o.Keychain != nil:
		opts = append(opts, remote.WithAuthFromKeychain(o.Keychain))
	}
	if o.Platform != nil {
		opts = append(opts, remote.WithPlatform(*o.Platform))
	}
	return opts
}

// Basic returns username/password credentials, anonymous when username is
// empty.
func Basic(username, password string) authn.Authenticator {
	if username == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: username, Password: password}
}
