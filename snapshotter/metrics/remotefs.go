package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/snapshotter"
)

// RemoteFS counts the restores of the RemoteFS it wraps, by the mode its
// ModeReporter gives (lazy when it has none).
type RemoteFS struct {
	snapshotter.RemoteFS
	m *Metrics
	// modes holds each mountpoint's mode until the snapshotter reads it:
	// the wrapped ModeReporter answers only once.
	modes sync.Map
}

var (
	_ snapshotter.RemoteFS     = (*RemoteFS)(nil)
	_ snapshotter.ModeReporter = (*RemoteFS)(nil)
)

// Instrument wraps fs so its restores are counted in m.
func Instrument(fs snapshotter.RemoteFS, m *Metrics) *RemoteFS {
	return &RemoteFS{RemoteFS: fs, m: m}
}

type modeReason struct{ mode, reason string }

// Mount restores the layer and counts it; layers the RemoteFS does not
// serve (ErrNotImplemented) are not restores.
func (r *RemoteFS) Mount(ctx context.Context, mountpoint string, labels map[string]string) error {
	start := time.Now()
	err := r.RemoteFS.Mount(ctx, mountpoint, labels)
	switch {
	case errdefs.IsNotImplemented(err):
		return err
	case err != nil:
		r.m.Restored(ModeFailed, time.Since(start).Seconds())
		return err
	}
	mr := modeReason{mode: snapshotter.RemoteLazy}
	if rep, ok := r.RemoteFS.(snapshotter.ModeReporter); ok {
		mr.mode, mr.reason = rep.Mode(mountpoint)
	}
	r.modes.Store(mountpoint, mr)
	r.m.Restored(mr.mode, time.Since(start).Seconds())
	return nil
}

// Mode implements snapshotter.ModeReporter with the mode Mount saw.
func (r *RemoteFS) Mode(mountpoint string) (mode, reason string) {
	if v, ok := r.modes.LoadAndDelete(mountpoint); ok {
		mr := v.(modeReason)
		return mr.mode, mr.reason
	}
	return snapshotter.RemoteLazy, ""
}
