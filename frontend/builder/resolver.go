package builder

import (
	"context"
	"fmt"
	"path"
	"sync"

	"github.com/containerd/errdefs"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"

	"github.com/devcache/devcache/frontend/features"
)

// resolver fetches Features through the gateway: local folders from the
// local holding devcontainer.json, tarballs with llb.HTTP, OCI Features with
// llb.HTTP (manifest) and llb.ImageBlob (layer). Results are cached per
// reference for the build.
type resolver struct {
	c    client.Client
	o    options
	lock *features.Lockfile

	// folder is the solved devcontainer.json folder with the local
	// Features listed in devcontainer.json (one transfer for all of them);
	// loaded holds their paths.
	folder client.Reference
	loaded map[string]bool
	// self is the frontend's own image when it runs from one (nil
	// in-process): it fetches OCI manifests in a build step.
	self *llb.State

	mu    sync.Mutex
	cache map[string]*features.Resolved
}

func newResolver(c client.Client, o options, lock *features.Lockfile) *resolver {
	r := &resolver{c: c, o: o, lock: lock, cache: map[string]*features.Resolved{}}
	if cf, ok := c.(interface{ CurrentFrontend() (*llb.State, error) }); ok {
		if st, err := cf.CurrentFrontend(); err == nil && st != nil {
			r.self = st
		}
	}
	return r
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
		err = fmt.Errorf("unsupported Feature type %q", ref.Type)
	}
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.cache[key] = res
	r.mu.Unlock()
	return res, nil
}

func (r *resolver) local(ctx context.Context, ref features.Ref) (*features.Resolved, error) {
	p := r.o.inConfigDir(ref.Path)
	lref := r.folder
	if !r.loaded[p] {
		// A local Feature reached through dependsOn: load it on its own.
		var err error
		if lref, err = solve(ctx, r.c, r.o.dockerfileLocal("load Feature "+ref.UserID, p)); err != nil {
			return nil, err
		}
	}
	meta, err := lref.ReadFile(ctx, client.ReadRequest{Filename: path.Join(p, features.MetadataFile)})
	if err != nil {
		return nil, fmt.Errorf("local Feature %s: %s not found in the devcontainer.json folder: %w", ref.UserID, path.Join(ref.Path, features.MetadataFile), errdefs.ErrNotFound)
	}
	md, err := features.ParseMetadata(ref.UserID+"/"+features.MetadataFile, meta)
	if err != nil {
		return nil, err
	}
	dgst, err := features.FolderDigest(ctx, refFS{lref}, p)
	if err != nil {
		return nil, fmt.Errorf("hashing Feature %s: %w", ref.UserID, err)
	}
	st, err := lref.ToState()
	if err != nil {
		return nil, err
	}
	return &features.Resolved{Metadata: md, Digest: dgst, Content: subdir(st, p, "stage Feature "+ref.UserID)}, nil
}

// finish parses the metadata and pins the content of a solved Feature.
func (r *resolver) finish(ctx context.Context, ref features.Ref, sref client.Reference, meta []byte, dgst, canonical string) (*features.Resolved, error) {
	md, err := features.ParseMetadata(ref.UserID+"/"+features.MetadataFile, meta)
	if err != nil {
		return nil, err
	}
	res := &features.Resolved{Metadata: md, Canonical: canonical}
	if dgst == "" {
		d, err := features.FolderDigest(ctx, refFS{sref}, "/")
		if err != nil {
			return nil, fmt.Errorf("hashing Feature %s: %w", ref.UserID, err)
		}
		res.Digest = d
	} else {
		res.Digest = digestOf(dgst)
	}
	st, err := sref.ToState()
	if err != nil {
		return nil, err
	}
	res.Content = st
	return res, nil
}

// unpack copies an archive file of st, unpacked, to the root of a new state.
func unpack(st llb.State, file, name string) llb.State {
	return llb.Scratch().File(llb.Copy(st, "/"+file, "/", &llb.CopyInfo{AttemptUnpack: true}), dockerui.WithInternalName(name))
}
