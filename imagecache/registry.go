package imagecache

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/devcache/devcache/internal/httpclient"
	"github.com/devcache/devcache/internal/tracing"
)

// Registry answers cache lookups.
type Registry interface {
	// Lookup returns the image at ref. It fails with errdefs.ErrNotFound
	// when there is none and errdefs.ErrUnavailable when the registry
	// cannot be reached.
	Lookup(ctx context.Context, ref string, creds *HostCredentials) (*CachedImage, error)
	// Tags lists the tags of a repository ("host/name").
	Tags(ctx context.Context, repo string, creds *HostCredentials) ([]string, error)
}

// CachedImage is an image found in the cache.
type CachedImage struct {
	// Ref is the reference looked up; Digest its manifest (or index) digest.
	Ref, Digest string
	// Labels are the image config's labels (of the runner's platform).
	Labels map[string]string
	// Size is the sum of the manifest's layer sizes, in bytes.
	Size int64
	// Created is the image config's creation time.
	Created time.Time
}

// OCIRegistry looks images up with go-containerregistry; loopback registries
// are reached over plain HTTP.
type OCIRegistry struct {
	// Platform picks the image of an index (default linux/amd64).
	Platform *v1.Platform
	// Transport is the HTTP transport (default: internal/httpclient's, with
	// timeouts).
	Transport http.RoundTripper
}

var _ Registry = (*OCIRegistry)(nil)

// Lookup implements Registry.
func (r *OCIRegistry) Lookup(ctx context.Context, ref string, creds *HostCredentials) (*CachedImage, error) {
	nref, err := name.ParseReference(ref, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("cache reference %q: %w: %w", ref, err, cerrdefs.ErrInvalidArgument)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuth(basicAuth(creds)), remote.WithTransport(r.transport())}
	if r.Platform != nil {
		opts = append(opts, remote.WithPlatform(*r.Platform))
	}
	desc, err := remote.Get(nref, opts...)
	if err != nil {
		return nil, classify(ref, err)
	}
	img, err := desc.Image() // an index resolves to the platform's image
	if err != nil {
		return nil, classify(ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, classify(ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, classify(ref, err)
	}
	out := &CachedImage{Ref: ref, Digest: desc.Digest.String(), Labels: cfg.Config.Labels, Created: cfg.Created.Time}
	for _, l := range m.Layers {
		out.Size += l.Size
	}
	return out, nil
}

// Tags implements Registry.
func (r *OCIRegistry) Tags(ctx context.Context, repo string, creds *HostCredentials) ([]string, error) {
	nrepo, err := name.NewRepository(repo, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w: %w", repo, err, cerrdefs.ErrInvalidArgument)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuth(basicAuth(creds)), remote.WithTransport(r.transport())}
	tags, err := remote.List(nrepo, opts...)
	if err != nil {
		return nil, classify(repo, err)
	}
	return tags, nil
}

func (r *OCIRegistry) transport() http.RoundTripper {
	if r.Transport != nil {
		return r.Transport
	}
	return tracing.Transport(httpclient.Transport())
}

func basicAuth(creds *HostCredentials) authn.Authenticator {
	if creds == nil || creds.Username == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: creds.Username, Password: creds.Password}
}

// classify maps registry errors onto errdefs kinds. The proxy answers "not
// yours" exactly as "absent", so 401/403/404 and the OCI codes all mean
// the cache has no such image for these credentials.
func classify(ref string, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusNotFound, http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%s: %w: %w", ref, cerrdefs.ErrNotFound, err)
		}
		return fmt.Errorf("%s: %w", ref, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("registry for %s unreachable: %w: %w", ref, cerrdefs.ErrUnavailable, err)
}
