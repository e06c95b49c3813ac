//go:build linux

package overlay

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/v2/core/snapshots/storage"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/snapshotter"
)

// Remove deletes the snapshot key; its children must be removed first. The
// key is free for reuse at once; the directory is freed now, or on Cleanup
// with AsynchronousRemove.
func (s *Snapshotter) Remove(ctx context.Context, key string) error {
	var removals []string
	err := s.ms.WithTransaction(ctx, true, func(ctx context.Context) error {
		id, info, _, err := storage.GetInfo(ctx, key)
		if err != nil {
			return fmt.Errorf("removing snapshot %s: %w", key, err)
		}
		if _, _, err := storage.Remove(ctx, key); err != nil {
			return fmt.Errorf("removing snapshot %s: %w", key, err)
		}
		if _, ok := info.Labels[snapshotter.LabelRemote]; ok && s.remote != nil {
			if err := s.remote.Unmount(ctx, s.upperPath(id)); err != nil {
				return fmt.Errorf("unmounting remote snapshot %s: %w", key, err)
			}
		}
		if !s.asyncRemove {
			removals, err = s.orphanDirectories(ctx)
			if err != nil {
				return fmt.Errorf("listing directories to remove: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The key is gone from the metadata; failing to free disk space is
	// logged, not returned (Cleanup retries).
	s.removeAll(ctx, removals)
	return nil
}

// Cleanup frees the directories of removed snapshots.
func (s *Snapshotter) Cleanup(ctx context.Context) error {
	var dirs []string
	if err := s.ms.WithTransaction(ctx, true, func(ctx context.Context) (err error) {
		dirs, err = s.orphanDirectories(ctx)
		return err
	}); err != nil {
		return err
	}
	s.removeAll(ctx, dirs)
	return nil
}

// orphanDirectories lists snapshot directories with no metadata entry. It
// must run in a transaction.
func (s *Snapshotter) orphanDirectories(ctx context.Context) ([]string, error) {
	ids, err := storage.IDMap(ctx)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.snapshotsDir())
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, e := range entries {
		if _, ok := ids[e.Name()]; !ok {
			dirs = append(dirs, filepath.Join(s.snapshotsDir(), e.Name()))
		}
	}
	return dirs, nil
}

func (s *Snapshotter) removeAll(ctx context.Context, dirs []string) {
	for _, dir := range dirs {
		if err := os.RemoveAll(dir); err != nil {
			log.G(ctx).Warn("failed to remove snapshot directory", "path", dir, "error", err)
		}
	}
}
