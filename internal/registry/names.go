package registry

import (
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
)

// ParseReference parses s ("host/repo:tag", "host/repo@sha256:…"; Docker
// Hub names are normalised as go-containerregistry does) under the
// plain-HTTP policy. A malformed reference is errdefs.ErrInvalidArgument.
func (l Insecure) ParseReference(s string, opts ...name.Option) (name.Reference, error) {
	ref, err := name.ParseReference(s, opts...)
	if err != nil {
		return nil, fmt.Errorf("reference %q: %w: %w", s, err, errdefs.ErrInvalidArgument)
	}
	if !l.PlainHTTP(ref.Context().RegistryStr()) {
		return ref, nil
	}
	return name.ParseReference(s, append(opts, name.Insecure)...)
}

// NewDigest parses a digest reference ("host/repo@sha256:…") under the
// plain-HTTP policy.
func (l Insecure) NewDigest(s string, opts ...name.Option) (name.Digest, error) {
	d, err := name.NewDigest(s, opts...)
	if err != nil {
		return name.Digest{}, fmt.Errorf("digest reference %q: %w: %w", s, err, errdefs.ErrInvalidArgument)
	}
	if !l.PlainHTTP(d.RegistryStr()) {
		return d, nil
	}
	return name.NewDigest(s, append(opts, name.Insecure)...)
}

// NewRepository parses a repository ("host/name") under the plain-HTTP
// policy.
func (l Insecure) NewRepository(s string, opts ...name.Option) (name.Repository, error) {
	r, err := name.NewRepository(s, opts...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("repository %q: %w: %w", s, err, errdefs.ErrInvalidArgument)
	}
	if !l.PlainHTTP(r.RegistryStr()) {
		return r, nil
	}
	return name.NewRepository(s, append(opts, name.Insecure)...)
}

// NewRegistry parses a registry host ("host[:port]") under the plain-HTTP
// policy.
func (l Insecure) NewRegistry(s string, opts ...name.Option) (name.Registry, error) {
	if l.PlainHTTP(s) {
		opts = append(opts, name.Insecure)
	}
	r, err := name.NewRegistry(s, opts...)
	if err != nil {
		return name.Registry{}, fmt.Errorf("registry %q: %w: %w", s, err, errdefs.ErrInvalidArgument)
	}
	return r, nil
}
