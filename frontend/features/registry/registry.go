// Package registry fetches Dev Container Feature manifests from OCI
// registries with a full registry client (go-containerregistry): the Docker
// token flow, anonymous or with a keychain's credentials. The frontend uses
// it inside a build step (from its image) and in-process; the devcache CLI
// can use it to pin OCI Features for the cache key without building.
package registry

import (
	"context"
	"fmt"
	"io"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"

	access "github.com/devcache/devcache/internal/registry"
)

// Options configure FetchManifest.
type Options struct {
	// Insecure lists the registries reached over plain HTTP besides
	// loopback, localhost and *.localhost (internal/registry's one rule).
	Insecure access.Insecure
	// Keychain provides credentials; nil means authn.DefaultKeychain
	// ($DOCKER_CONFIG/config.json and credential helpers).
	Keychain authn.Keychain
}

func (o Options) remote(ctx context.Context) []remote.Option {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	return access.Options{Insecure: o.Insecure, Keychain: kc}.Remote(ctx)
}

// FetchManifest returns the manifest of ref ("registry/repo:tag" or
// "registry/repo@sha256:…") as served, and its digest (sha256 of those
// bytes). A digest reference is verified.
func FetchManifest(ctx context.Context, ref string, opt Options) ([]byte, digest.Digest, error) {
	r, err := opt.Insecure.ParseReference(ref)
	if err != nil {
		return nil, "", err
	}
	desc, err := remote.Get(r, opt.remote(ctx)...)
	if err != nil {
		return nil, "", access.Wrap("fetching the manifest of", ref, err)
	}
	dgst := digest.FromBytes(desc.Manifest)
	if d, ok := r.(name.Digest); ok && d.DigestStr() != dgst.String() {
		return nil, "", fmt.Errorf("%s: manifest digest %s: %w", ref, dgst, errdefs.ErrFailedPrecondition)
	}
	return desc.Manifest, dgst, nil
}

// FetchBlob returns the blob ref ("registry/repo@sha256:…") names, verified
// against its digest.
func FetchBlob(ctx context.Context, ref string, opt Options) ([]byte, error) {
	d, err := opt.Insecure.NewDigest(ref)
	if err != nil {
		return nil, err
	}
	l, err := remote.Layer(d, opt.remote(ctx)...)
	if err != nil {
		return nil, access.Wrap("fetching", ref, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, access.Wrap("fetching", ref, err)
	}
	defer rc.Close()
	dt, err := io.ReadAll(rc)
	if err != nil {
		return nil, access.Wrap("fetching", ref, err)
	}
	if got := digest.FromBytes(dt); got.String() != d.DigestStr() {
		return nil, fmt.Errorf("%s: content digest %s: %w", ref, got, errdefs.ErrFailedPrecondition)
	}
	return dt, nil
}
