//go:build linux

package overlay

import (
	"context"
	"fmt"

	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/core/snapshots/storage"
	"github.com/containerd/errdefs"
)

// UpperDir returns the overlay upper directory of the active snapshot key:
// exactly the changes made on top of its parent, with overlayfs whiteouts
// (0/0 character devices) and opaque directories (trusted.overlay.opaque).
// Capture reads it instead of walking the whole tree.
func (s *Snapshotter) UpperDir(ctx context.Context, key string) (string, error) {
	var (
		id   string
		info snapshots.Info
	)
	if err := s.ms.WithTransaction(ctx, false, func(ctx context.Context) (err error) {
		id, info, _, err = storage.GetInfo(ctx, key)
		return err
	}); err != nil {
		return "", err
	}
	if info.Kind != snapshots.KindActive {
		return "", fmt.Errorf("snapshot %q is %v, want active: %w", key, info.Kind, errdefs.ErrFailedPrecondition)
	}
	return s.upperPath(id), nil
}
