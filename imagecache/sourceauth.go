package imagecache

import (
	"context"
	"net/http"
	"sync"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/session/auth/authprovider"
)

// The adapters below hand a CredentialSource to the three registry clients
// of a runner, each asking it again when it needs a new token.

// sessionAuth answers BuildKit's session credential requests (pulls, cache
// imports, the push): BuildKit asks on every token fetch, so a renewed
// credential is used from its next token on.
func sessionAuth(src CredentialSource) authprovider.AuthConfigProvider {
	return func(ctx context.Context, host string, _ []string, _ authprovider.ExpireCachedAuthCheck) (types.AuthConfig, error) {
		if src == nil {
			return types.AuthConfig{}, nil
		}
		c, err := src.Credentials(ctx, host)
		if err != nil || c == nil {
			return types.AuthConfig{}, err
		}
		return types.AuthConfig{ServerAddress: host, Username: c.Username, Password: c.Password}, nil
	}
}

// sourceAuthenticator is a go-containerregistry authenticator reading src
// for host each time a transport (re)fetches a token.
type sourceAuthenticator struct {
	src  CredentialSource
	host string
}

// Authenticator is a go-containerregistry authenticator for host that asks
// src for the current credential whenever a transport fetches a token.
func Authenticator(src CredentialSource, host string) authn.Authenticator {
	if src == nil {
		return authn.Anonymous
	}
	return &sourceAuthenticator{src: src, host: host}
}

func (a *sourceAuthenticator) Authorization() (*authn.AuthConfig, error) {
	return a.AuthorizationContext(context.Background())
}

func (a *sourceAuthenticator) AuthorizationContext(ctx context.Context) (*authn.AuthConfig, error) {
	c, err := a.src.Credentials(ctx, a.host)
	if err != nil || c == nil {
		return &authn.AuthConfig{}, err
	}
	return &authn.AuthConfig{Username: c.Username, Password: c.Password}, nil
}

// renewingAuthorizer is containerd's docker authorizer for a
// CredentialSource. containerd's own keeps the credentials it first got
// for a host and fetches every later token with them; this one starts a
// new authorizer when the source's credential for the request's host
// changes, so the next token is fetched with the renewed one.
type renewingAuthorizer struct {
	src CredentialSource

	mu    sync.Mutex
	inner docker.Authorizer
	pass  map[string]string // host → the password inner was made with
}

// NewAuthorizer is containerd's docker.Authorizer for src: its tokens are
// fetched with src's current credential, renewed or not.
func NewAuthorizer(src CredentialSource) docker.Authorizer { return newRenewingAuthorizer(src) }

func newRenewingAuthorizer(src CredentialSource) *renewingAuthorizer {
	return &renewingAuthorizer{src: src}
}

func (a *renewingAuthorizer) current(ctx context.Context, host string) (docker.Authorizer, error) {
	var pass string
	if a.src != nil {
		c, err := a.src.Credentials(ctx, host)
		if err != nil {
			return nil, err
		}
		if c != nil {
			pass = c.Password
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inner != nil {
		if old, seen := a.pass[host]; !seen || old == pass {
			a.pass[host] = pass
			return a.inner, nil
		}
	}
	src, bg := a.src, context.WithoutCancel(ctx)
	a.pass = map[string]string{host: pass}
	a.inner = docker.NewDockerAuthorizer(docker.WithAuthCreds(func(h string) (string, string, error) {
		if src == nil {
			return "", "", nil
		}
		c, err := src.Credentials(bg, h)
		if err != nil || c == nil {
			return "", "", err
		}
		return c.Username, c.Password, nil
	}))
	return a.inner, nil
}

func (a *renewingAuthorizer) Authorize(ctx context.Context, req *http.Request) error {
	in, err := a.current(ctx, req.URL.Host)
	if err != nil {
		return err
	}
	return in.Authorize(ctx, req)
}

func (a *renewingAuthorizer) AddResponses(ctx context.Context, responses []*http.Response) error {
	in, err := a.current(ctx, responses[len(responses)-1].Request.URL.Host)
	if err != nil {
		return err
	}
	return in.AddResponses(ctx, responses)
}

// refHost is the registry host:port of an image reference ("" when it
// does not parse; the pull then reports the reference).
func refHost(ref string) string {
	r, err := name.ParseReference(ref)
	if err != nil {
		return ""
	}
	return r.Context().RegistryStr()
}
