package imagecache

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/devcache/devcache/internal/httpclient"
	"github.com/devcache/devcache/internal/registry"
	"github.com/devcache/devcache/internal/tracing"
)

// Registry answers cache lookups.
type Registry interface {
	// Lookup returns the image at ref. It fails with errdefs.ErrNotFound
	// when there is none, errdefs.ErrUnauthenticated or
	// ErrPermissionDenied when the credentials hold no grant for it, and
	// errdefs.ErrUnavailable when the registry cannot be reached.
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

// OCIRegistry looks images up with go-containerregistry, through
// internal/registry: its plain-HTTP rule and its error kinds.
type OCIRegistry struct {
	// Platform picks the image of an index (default linux/amd64).
	Platform *v1.Platform
	// Transport is the HTTP transport (default: internal/httpclient's, with
	// timeouts).
	Transport http.RoundTripper
	// Insecure lists registries reached over plain HTTP besides loopback,
	// localhost and *.localhost.
	Insecure registry.Insecure
}

var _ Registry = (*OCIRegistry)(nil)

func (r *OCIRegistry) options(ctx context.Context, creds *HostCredentials) []remote.Option {
	tr := r.Transport
	if tr == nil {
		tr = tracing.Transport(httpclient.Transport())
	}
	o := registry.Options{Insecure: r.Insecure, Auth: basicAuth(creds), Transport: tr, Platform: r.Platform}
	return o.Remote(ctx)
}

// Lookup implements Registry, with internal/registry's error kinds (401
// unauthenticated, 403 denied, 404 not found).
func (r *OCIRegistry) Lookup(ctx context.Context, ref string, creds *HostCredentials) (*CachedImage, error) {
	nref, err := r.Insecure.ParseReference(ref, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("cache %w", err)
	}
	desc, err := remote.Get(nref, r.options(ctx, creds)...)
	if err != nil {
		return nil, registry.Wrap("looking up", ref, err)
	}
	img, err := desc.Image() // an index resolves to the platform's image
	if err != nil {
		return nil, registry.Wrap("looking up", ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, registry.Wrap("reading the config of", ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, registry.Wrap("reading the manifest of", ref, err)
	}
	out := &CachedImage{Ref: ref, Digest: desc.Digest.String(), Labels: cfg.Config.Labels, Created: cfg.Created.Time}
	for _, l := range m.Layers {
		out.Size += l.Size
	}
	return out, nil
}

// Tags implements Registry.
func (r *OCIRegistry) Tags(ctx context.Context, repo string, creds *HostCredentials) ([]string, error) {
	nrepo, err := r.Insecure.NewRepository(repo, name.StrictValidation)
	if err != nil {
		return nil, err
	}
	tags, err := remote.List(nrepo, r.options(ctx, creds)...)
	if err != nil {
		return nil, registry.Wrap("listing the tags of", repo, err)
	}
	return tags, nil
}

func basicAuth(creds *HostCredentials) authn.Authenticator {
	if creds == nil {
		return authn.Anonymous
	}
	return registry.Basic(creds.Username, creds.Password)
}
