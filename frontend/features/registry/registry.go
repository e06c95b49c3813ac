// Package registry fetches Dev Container Feature manifests from OCI
// registries with a full registry client (go-containerregistry): the Docker
// token flow, anonymous or with a keychain's credentials. The frontend uses
// it inside a build step (from its image) and in-process; the devcache CLI
// can use it to pin OCI Features for the cache key without building.
package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	digest "github.com/opencontainers/go-digest"

	"github.com/devcache/devcache/internal/httpclient"
)

// Options configure FetchManifest.
type Options struct {
	// Insecure uses plain HTTP (localhost and 127.0.0.1 always do).
	Insecure bool
	// Keychain provides credentials; nil means authn.DefaultKeychain
	// ($DOCKER_CONFIG/config.json and credential helpers).
	Keychain authn.Keychain
}

// FetchManifest returns the manifest of ref ("registry/repo:tag" or
// "registry/repo@sha256:…") as served, and its digest (sha256 of those
// bytes). A digest reference is verified.
func FetchManifest(ctx context.Context, ref string, opt Options) ([]byte, digest.Digest, error) {
	var nopts []name.Option
	if opt.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w: %w", ref, err, cerrdefs.ErrInvalidArgument)
	}
	kc := opt.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	desc, err := remote.Get(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithTransport(httpclient.Transport()))
	if err != nil {
		return nil, "", fmt.Errorf("fetching the manifest of %s: %w", ref, kind(err))
	}
	dgst := digest.FromBytes(desc.Manifest)
	if d, ok := r.(name.Digest); ok && d.DigestStr() != dgst.String() {
		return nil, "", fmt.Errorf("%s: manifest digest %s: %w", ref, dgst, cerrdefs.ErrFailedPrecondition)
	}
	return desc.Manifest, dgst, nil
}

// kind maps registry errors to errdefs kinds.
func kind(err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized:
			return fmt.Errorf("%w: %w", err, cerrdefs.ErrUnauthenticated)
		case http.StatusForbidden:
			return fmt.Errorf("%w: %w", err, cerrdefs.ErrPermissionDenied)
		case http.StatusNotFound:
			return fmt.Errorf("%w: %w", err, cerrdefs.ErrNotFound)
		}
	}
	return err
}

// FetchBlob returns the blob ref ("registry/repo@sha256:…") names, verified
// against its digest.
func FetchBlob(ctx context.Context, ref string, opt Options) ([]byte, error) {
	var nopts []name.Option
	if opt.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	d, err := name.NewDigest(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", ref, err, cerrdefs.ErrInvalidArgument)
	}
	kc := opt.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	l, err := remote.Layer(d, remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithTransport(httpclient.Transport()))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", ref, kind(err))
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", ref, kind(err))
	}
	defer rc.Close()
	dt, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", ref, kind(err))
	}
	if got := digest.FromBytes(dt); got.String() != d.DigestStr() {
		return nil, fmt.Errorf("%s: content digest %s: %w", ref, got, cerrdefs.ErrFailedPrecondition)
	}
	return dt, nil
}
