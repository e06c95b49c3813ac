//go:build linux

package overlay

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/core/snapshots/storage"
)

// Mounts returns the mounts of an active or view snapshot. It fails with
// ErrUnavailable when a lazily mounted layer below it cannot be served.
func (s *Snapshotter) Mounts(ctx context.Context, key string) ([]mount.Mount, error) {
	var snap storage.Snapshot
	if err := s.ms.WithTransaction(ctx, false, func(ctx context.Context) (err error) {
		snap, err = storage.GetSnapshot(ctx, key)
		if err != nil {
			return fmt.Errorf("getting active mount: %w", err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := s.checkAvailability(ctx, key); err != nil {
		return nil, err
	}
	return s.mounts(snap), nil
}

func (s *Snapshotter) mounts(snap storage.Snapshot) []mount.Mount {
	if len(snap.ParentIDs) == 0 {
		// One layer: overlayfs needs a lowerdir, so bind the upper.
		rw := "rw"
		if snap.Kind == snapshots.KindView {
			rw = "ro"
		}
		return []mount.Mount{{Source: s.upperPath(snap.ID), Type: "bind", Options: []string{rw, "rbind"}}}
	}
	var options []string
	if snap.Kind == snapshots.KindActive {
		options = append(options,
			"workdir="+s.workPath(snap.ID),
			"upperdir="+s.upperPath(snap.ID),
		)
	} else if len(snap.ParentIDs) == 1 {
		return []mount.Mount{{Source: s.upperPath(snap.ParentIDs[0]), Type: "bind", Options: []string{"ro", "rbind"}}}
	}
	lowers := make([]string, len(snap.ParentIDs))
	for i, id := range snap.ParentIDs {
		lowers[i] = s.upperPath(id)
	}
	options = append(options, "lowerdir="+strings.Join(lowers, ":"))
	options = append(options, s.mountOpts...)
	return []mount.Mount{{Type: "overlay", Source: "overlay", Options: options}}
}
