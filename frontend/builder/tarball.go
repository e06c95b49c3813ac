package builder

import (
	"context"
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	digest "github.com/opencontainers/go-digest"

	"github.com/devcache/devcache/frontend/features"
)

const tarballFile = "devcontainer-feature.tgz"

func digestOf(s string) digest.Digest { return digest.Digest(s) }

// tarball fetches an https (or loopback http) devcontainer-feature-<id>.tgz
// with llb.HTTP. A lockfile pin becomes the HTTP source's checksum, so
// BuildKit itself refuses content that does not match.
func (r *resolver) tarball(ctx context.Context, ref features.Ref) (*features.Resolved, error) {
	opts := []llb.HTTPOption{llb.Filename(tarballFile), dockerui.WithInternalName("fetch Feature " + ref.UserID)}
	pin, locked := r.lock.Pin(ref.UserID)
	if locked {
		d, err := digest.Parse(pin.Integrity)
		if err != nil {
			return nil, fmt.Errorf("feature %s: lockfile integrity %q: %w", ref.UserID, pin.Integrity, errdefs.ErrInvalidArgument)
		}
		opts = append(opts, llb.Checksum(d))
	}
	src := llb.HTTP(ref.URL, opts...)
	dt, sref, err := readFile(ctx, r.c, src, tarballFile)
	if err != nil {
		return nil, fmt.Errorf("fetching Feature %s: %w", ref.UserID, err)
	}
	dgst := digest.FromBytes(dt)
	if locked && dgst.String() != pin.Integrity {
		return nil, fmt.Errorf("feature %q: digest %s does not match %s pinned in %s: %w", ref.UserID, dgst, pin.Integrity, features.LockfileName, errdefs.ErrFailedPrecondition)
	}
	meta, err := features.MetadataFromArchive(dt)
	if err != nil {
		return nil, fmt.Errorf("feature %s: %w", ref.UserID, err)
	}
	st, err := sref.ToState()
	if err != nil {
		return nil, err
	}
	files := unpack(st, tarballFile, "unpack Feature "+ref.UserID)
	fref, err := solve(ctx, r.c, files)
	if err != nil {
		return nil, fmt.Errorf("unpacking Feature %s: %w", ref.UserID, err)
	}
	return r.finish(ctx, ref, fref, meta, dgst.String(), ref.URL)
}
