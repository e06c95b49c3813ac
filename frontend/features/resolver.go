package features

import (
	"context"

	digest "github.com/opencontainers/go-digest"
)

// Resolver fetches a Feature's metadata and pins its content.
type Resolver interface {
	// Resolve returns the Feature that ref names. For OCI references it
	// resolves the tag to a manifest digest (or checks a digest reference).
	Resolve(ctx context.Context, ref Ref) (*Resolved, error)
}

// Resolved is a fetched Feature.
type Resolved struct {
	Metadata *Metadata
	// Digest identifies the content: the OCI manifest digest, the sha256 of
	// a tarball, or a digest over a local folder's files.
	Digest digest.Digest
	// Canonical is the lockfile's "resolved": registry/repo@digest for OCI,
	// the URL for tarballs, empty for local Features.
	Canonical string
	// Content is the resolver's handle on the Feature's files (for the
	// frontend, an llb.State with the files at its root).
	Content any
}

// Feature is one install of a Feature: a reference, its options and what it
// resolved to. The same Feature may be installed several times with
// different options.
type Feature struct {
	Ref Ref
	// Options are the user's options; Shorthand is set instead when the
	// value was a string or boolean.
	Options   Options
	Shorthand any
	*Resolved
}

// Env returns the option values as the install script sees them.
func (f *Feature) Env() []EnvVar { return Values(f.Metadata, f.Options, f.Shorthand) }
