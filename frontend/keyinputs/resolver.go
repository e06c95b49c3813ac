package keyinputs

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"path"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"

	"github.com/devcache/devcache/frontend/features"
)

// resolver is the one features.Resolver: it applies the pins and the
// checks, and asks the Source only for bytes and handles. Results are kept
// per reference for one Collect.
type resolver struct {
	src  Source
	lock *features.Lockfile

	mu    sync.Mutex
	cache map[string]*features.Resolved
}

func newResolver(src Source, lock *features.Lockfile) *resolver {
	return &resolver{src: src, lock: lock, cache: map[string]*features.Resolved{}}
}

// Resolve implements features.Resolver.
func (r *resolver) Resolve(ctx context.Context, ref features.Ref) (*features.Resolved, error) {
	key := string(ref.Type) + " " + ref.UserID
	r.mu.Lock()
	res, ok := r.cache[key]
	r.mu.Unlock()
	if ok {
		return res, nil
	}
	var err error
	switch ref.Type {
	case features.Local:
		res, err = r.local(ctx, ref)
	case features.Tarball:
		res, err = r.tarball(ctx, ref)
	case features.OCI:
		res, err = r.oci(ctx, ref)
	default:
		err = fmt.Errorf("unsupported Feature type %q: %w", ref.Type, cerrdefs.ErrNotImplemented)
	}
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.cache[key] = res
	r.mu.Unlock()
	return res, nil
}

// local: the metadata from the folder, the digest over its files.
func (r *resolver) local(ctx context.Context, ref features.Ref) (*features.Resolved, error) {
	fsys, dir, content, err := r.src.LocalFeature(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("local Feature %s: %w", ref.UserID, err)
	}
	meta, err := fsys.ReadFile(ctx, path.Join(dir, features.MetadataFile))
	if errors.Is(err, iofs.ErrNotExist) {
		return nil, fmt.Errorf("local Feature %s: %s not found in the devcontainer.json folder: %w", ref.UserID, path.Join(ref.Path, features.MetadataFile), cerrdefs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("local Feature %s: %w", ref.UserID, err)
	}
	md, err := features.ParseMetadata(ref.UserID+"/"+features.MetadataFile, meta)
	if err != nil {
		return nil, err
	}
	dgst, err := features.FolderDigest(ctx, fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("hashing Feature %s: %w", ref.UserID, err)
	}
	return &features.Resolved{Metadata: md, Digest: dgst, Content: content}, nil
}

// tarball: the archive's sha256 is the digest, checked against the pin.
func (r *resolver) tarball(ctx context.Context, ref features.Ref) (*features.Resolved, error) {
	pin, err := r.lock.PinOf(ref)
	if err != nil {
		return nil, err
	}
	dt, content, err := r.src.Tarball(ctx, ref, pin)
	if err != nil {
		return nil, fmt.Errorf("fetching Feature %s: %w", ref.UserID, err)
	}
	dgst := digest.FromBytes(dt)
	if pin != "" && dgst != pin {
		return nil, fmt.Errorf("feature %q: digest %s does not match %s pinned in %s: %w", ref.UserID, dgst, pin, r.lock.Name(), cerrdefs.ErrFailedPrecondition)
	}
	meta, err := features.MetadataFromArchive(dt)
	if err != nil {
		return nil, fmt.Errorf("feature %s: %w", ref.UserID, err)
	}
	md, err := features.ParseMetadata(ref.UserID+"/"+features.MetadataFile, meta)
	if err != nil {
		return nil, err
	}
	return &features.Resolved{Metadata: md, Digest: dgst, Canonical: ref.URL, Content: content}, nil
}

// oci: the manifest by tag (re-resolved) or by pin (verified), checked for
// a Feature; the metadata from its annotation or, without one, the layer.
func (r *resolver) oci(ctx context.Context, ref features.Ref) (*features.Resolved, error) {
	pin, err := r.lock.PinOf(ref)
	if err != nil {
		return nil, err
	}
	at := ref
	at.Digest = pin.String()
	dt, err := r.src.Manifest(ctx, at)
	if err != nil {
		// The source's error names the operation and the reference, and
		// the error's place (features["<ref>"]) the Feature: not a third time.
		return nil, err
	}
	m, dgst, err := features.ParseManifest(at, dt)
	if err != nil {
		return nil, err
	}
	meta := []byte(m.Annotations[features.AnnotationMetadata])
	layerMeta, content, err := r.src.Layer(ctx, at, m.Layers[0], len(meta) == 0)
	if err != nil {
		return nil, err
	}
	if len(meta) == 0 {
		meta = layerMeta
	}
	md, err := features.ParseMetadata(ref.UserID+"/"+features.MetadataFile, meta)
	if err != nil {
		return nil, err
	}
	return &features.Resolved{Metadata: md, Digest: dgst, Canonical: ref.Resource() + "@" + dgst.String(), Content: content}, nil
}
