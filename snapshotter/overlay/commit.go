//go:build linux

package overlay

import (
	"context"
	"fmt"

	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/core/snapshots/storage"
	"github.com/containerd/continuity/fs"
)

// Commit turns the active snapshot key into the committed snapshot name.
// WithParent (rebase) is honoured by the metastore.
func (s *Snapshotter) Commit(ctx context.Context, name, key string, opts ...snapshots.Opt) error {
	return s.commit(ctx, false, name, key, opts...)
}

// commit records the snapshot's disk usage, except for remote snapshots whose
// upper is a lazy mount that must not be walked.
func (s *Snapshotter) commit(ctx context.Context, remote bool, name, key string, opts ...snapshots.Opt) error {
	return s.ms.WithTransaction(ctx, true, func(ctx context.Context) error {
		id, _, usage, err := storage.GetInfo(ctx, key)
		if err != nil {
			return err
		}
		if !remote {
			du, err := fs.DiskUsage(ctx, s.upperPath(id))
			if err != nil {
				return err
			}
			usage = snapshots.Usage(du)
		}
		if _, err := storage.CommitActive(ctx, key, name, usage, opts...); err != nil {
			return fmt.Errorf("committing snapshot %s: %w", key, err)
		}
		return nil
	})
}
