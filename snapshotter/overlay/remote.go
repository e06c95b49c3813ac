//go:build linux

package overlay

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/core/snapshots/storage"
	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/snapshotter"
)

const labelSnapshotRef = snapshotter.LabelSnapshotRef

// prepareRemote asks the RemoteFS to materialize the layer for target on the
// upper directory of the new active snapshot key. done reports whether the
// handshake succeeded (the caller then returns err, which wraps
// ErrAlreadyExists); when the RemoteFS cannot serve the layer, done is false
// and the caller returns normal mounts so containerd applies the layer.
// The log key remote-snapshot-prepared is the one stargz-snapshotter uses.
func (s *Snapshotter) prepareRemote(ctx context.Context, id, key, target string, labels map[string]string, opts []snapshots.Opt) (done bool, err error) {
	l := log.G(ctx).With("key", key, "target", target)
	mp := s.upperPath(id)
	if err := s.remote.Mount(ctx, mp, labels); err != nil {
		if errdefs.IsNotImplemented(err) {
			l.Debug("layer is not a remote layer", "remote-snapshot-prepared", false, "reason", err)
		} else {
			l.Warn("failed to prepare remote snapshot, containerd will apply the layer", "remote-snapshot-prepared", false, "error", err)
		}
		return false, nil
	}
	remoteLabels := maps.Clone(labels)
	remoteLabels[snapshotter.LabelRemote] = "true"
	if mr, ok := s.remote.(snapshotter.ModeReporter); ok {
		mode, reason := mr.Mode(mp)
		remoteLabels[snapshotter.LabelRemote] = mode
		if reason != "" {
			remoteLabels[snapshotter.LabelRemoteReason] = truncate(reason, maxReasonLen)
		}
	}
	err = s.commit(ctx, true, target, key, append(opts, snapshots.WithLabels(remoteLabels))...)
	if err != nil && !errdefs.IsAlreadyExists(err) {
		l.Warn("failed to commit remote snapshot", "remote-snapshot-prepared", false, "error", err)
		return true, errors.Join(err, s.remote.Unmount(ctx, mp))
	}
	if errdefs.IsAlreadyExists(err) {
		// Another Prepare committed the target first: drop ours.
		if rerr := errors.Join(s.remote.Unmount(ctx, mp), s.Remove(ctx, key)); rerr != nil {
			l.Warn("failed to drop duplicate remote snapshot", "error", rerr)
		}
	}
	l.Info("prepared remote snapshot", "remote-snapshot-prepared", true)
	return true, fmt.Errorf("target snapshot %q: %w", target, errdefs.ErrAlreadyExists)
}

// checkAvailability checks every remote layer in the chain of key.
func (s *Snapshotter) checkAvailability(ctx context.Context, key string) error {
	if s.remote == nil || key == "" {
		return nil
	}
	type layer struct {
		mp     string
		labels map[string]string
	}
	var remote []layer
	if err := s.ms.WithTransaction(ctx, false, func(ctx context.Context) error {
		for k := key; k != ""; {
			id, info, _, err := storage.GetInfo(ctx, k)
			if err != nil {
				return err
			}
			if _, ok := info.Labels[snapshotter.LabelRemote]; ok {
				remote = append(remote, layer{s.upperPath(id), info.Labels})
			}
			k = info.Parent
		}
		return nil
	}); err != nil {
		return err
	}
	for _, l := range remote {
		if err := s.remote.Check(ctx, l.mp, l.labels); err != nil {
			return fmt.Errorf("%s: %w: %w", describeLayer(l.mp, l.labels), err, errdefs.ErrUnavailable)
		}
	}
	return nil
}

// remoteSnapshots lists committed remote snapshots with their mountpoints.
func (s *Snapshotter) remoteSnapshots(ctx context.Context) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	err := s.ms.WithTransaction(ctx, false, func(ctx context.Context) error {
		return storage.WalkInfo(ctx, func(ctx context.Context, info snapshots.Info) error {
			if _, ok := info.Labels[snapshotter.LabelRemote]; !ok {
				return nil
			}
			id, _, _, err := storage.GetInfo(ctx, info.Name)
			if err != nil {
				return err
			}
			out[s.upperPath(id)] = info.Labels
			return nil
		})
	})
	if errdefs.IsNotFound(err) { // a new, empty metastore
		err = nil
	}
	return out, err
}

// restoreRemote re-mounts, at start, remote layers a previous process left
// behind: layers whose Check passes (fully extracted ones) are kept as they
// are; stale FUSE mounts are detached and mounted again. A layer that cannot
// be mounted is logged; Mounts of its children then fail with ErrUnavailable.
func (s *Snapshotter) restoreRemote(ctx context.Context) error {
	if s.remote == nil {
		return nil
	}
	snaps, err := s.remoteSnapshots(ctx)
	if err != nil {
		return err
	}
	for mp, labels := range snaps {
		if err := s.remote.Check(ctx, mp, labels); err == nil {
			continue
		}
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			log.G(ctx).Warn("failed to detach stale remote mount", "mountpoint", mp, "error", err)
		}
		if err := s.remote.Mount(ctx, mp, labels); err != nil {
			log.G(ctx).Warn("failed to restore remote snapshot", "mountpoint", mp, "ref", labels[labelSnapshotRef], "error", err)
		}
	}
	return nil
}

// unmountRemote releases every remote mount (on Close).
func (s *Snapshotter) unmountRemote(ctx context.Context) {
	if s.remote == nil {
		return
	}
	snaps, err := s.remoteSnapshots(ctx)
	if err != nil {
		log.G(ctx).Warn("failed to list remote snapshots", "error", err)
		return
	}
	for mp := range snaps {
		if err := s.remote.Unmount(ctx, mp); err != nil && !strings.Contains(err.Error(), "not mounted") {
			log.G(ctx).Warn("failed to unmount remote snapshot", "mountpoint", mp, "error", err)
		}
	}
}

// maxReasonLen keeps LabelRemoteReason well inside containerd's 4 KiB label
// limit.
const maxReasonLen = 512

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-len("…")] + "…"
}

// describeLayer names a remote layer for errors: its digest and image when
// containerd passed them, else its mountpoint.
func describeLayer(mp string, labels map[string]string) string {
	d, ref := labels[snapshotter.LabelCRILayerDigest], labels[snapshotter.LabelCRIImageRef]
	if d == "" || ref == "" {
		return "layer at " + mp
	}
	return fmt.Sprintf("layer %s of image %s (at %s)", d, ref, mp)
}
