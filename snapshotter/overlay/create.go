//go:build linux

package overlay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/core/snapshots/storage"

	"github.com/devcache/devcache/internal/log"
)

// Prepare creates an active snapshot on parent. When the labels name a
// target (containerd.io/snapshot.ref) and the RemoteFS can serve the layer,
// the layer is materialized, committed under the target and Prepare returns
// an error wrapping errdefs.ErrAlreadyExists (the remote-snapshot handshake).
// When the RemoteFS cannot, Prepare returns ordinary mounts and containerd
// downloads and applies the layer itself.
func (s *Snapshotter) Prepare(ctx context.Context, key, parent string, opts ...snapshots.Opt) ([]mount.Mount, error) {
	snap, info, err := s.createSnapshot(ctx, snapshots.KindActive, key, parent, opts)
	if err != nil {
		return nil, err
	}
	if s.remote != nil {
		if target, ok := info.Labels[labelSnapshotRef]; ok {
			done, err := s.prepareRemote(ctx, snap.ID, key, target, info.Labels, opts)
			if done || err != nil {
				return nil, err
			}
		}
	}
	// A lazily mounted layer below that cannot be served would show up as
	// an empty lowerdir: fail instead of handing out wrong files.
	if err := s.checkAvailability(ctx, parent); err != nil {
		return nil, errors.Join(err, s.Remove(ctx, key))
	}
	return s.mounts(snap), nil
}

// View creates a read-only snapshot on parent.
func (s *Snapshotter) View(ctx context.Context, key, parent string, opts ...snapshots.Opt) ([]mount.Mount, error) {
	snap, _, err := s.createSnapshot(ctx, snapshots.KindView, key, parent, opts)
	if err != nil {
		return nil, err
	}
	if err := s.checkAvailability(ctx, parent); err != nil {
		return nil, errors.Join(err, s.Remove(ctx, key))
	}
	return s.mounts(snap), nil
}

func (s *Snapshotter) createSnapshot(ctx context.Context, kind snapshots.Kind, key, parent string, opts []snapshots.Opt) (snap storage.Snapshot, info snapshots.Info, err error) {
	var td, path string
	defer func() {
		if err == nil {
			return
		}
		if td != "" {
			if rerr := os.RemoveAll(td); rerr != nil {
				log.G(ctx).Warn("failed to clean up temporary snapshot directory", "path", td, "error", rerr)
			}
		}
		if path != "" {
			if rerr := os.RemoveAll(path); rerr != nil {
				err = fmt.Errorf("failed to remove path: %w: %w", rerr, err)
			}
		}
	}()
	err = s.ms.WithTransaction(ctx, true, func(ctx context.Context) (err error) {
		td, err = s.prepareDirectory(kind)
		if err != nil {
			return fmt.Errorf("preparing snapshot directory: %w", err)
		}
		snap, err = storage.CreateSnapshot(ctx, kind, key, parent, opts...)
		if err != nil {
			return fmt.Errorf("creating snapshot: %w", err)
		}
		if _, info, _, err = storage.GetInfo(ctx, key); err != nil {
			return fmt.Errorf("reading snapshot info: %w", err)
		}
		if len(snap.ParentIDs) > 0 {
			// The new upper takes its root's owner from the parent, as
			// containerd's overlay does, so chown'ed roots stay chown'ed.
			st, err := os.Stat(s.upperPath(snap.ParentIDs[0]))
			if err != nil {
				return fmt.Errorf("stat parent: %w", err)
			}
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				if err := os.Lchown(filepath.Join(td, "fs"), int(sys.Uid), int(sys.Gid)); err != nil {
					return fmt.Errorf("chown: %w", err)
				}
			}
		}
		path = filepath.Join(s.snapshotsDir(), snap.ID)
		if err := os.Rename(td, path); err != nil {
			return fmt.Errorf("rename: %w", err)
		}
		td = ""
		return nil
	})
	return snap, info, err
}

func (s *Snapshotter) prepareDirectory(kind snapshots.Kind) (_ string, err error) {
	td, err := os.MkdirTemp(s.snapshotsDir(), "new-")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, os.RemoveAll(td))
			td = ""
		}
	}()
	// The upper is a container root: 0755 like any rootfs (the image's
	// own root mode wins through overlayfs).
	if err := os.Mkdir(filepath.Join(td, "fs"), 0o755); err != nil { //nolint:gosec // G301: see above
		return "", err
	}
	if kind == snapshots.KindActive {
		if err := os.Mkdir(filepath.Join(td, "work"), 0o711); err != nil { //nolint:gosec // G301: overlayfs workdir, as containerd
			return "", err
		}
	}
	return td, nil
}
