package snapshotter

import "context"

// RemoteFS materializes a layer that lives in a registry onto a local
// directory, so the overlay snapshotter can answer containerd's
// remote-snapshot handshake without containerd downloading the layer.
//
// It is the boundary stargz-snapshotter calls FileSystem: Mount is called
// with the upper directory of a new snapshot and the labels containerd passed
// to Prepare (containerd.io/snapshot.ref, the CRI image labels, the layer's
// containerd.io/snapshot/ annotations). An implementation either mounts the
// layer lazily (FUSE) or extracts it fully; either way, once Mount returns nil
// the directory holds the layer's files as an overlay lowerdir.
type RemoteFS interface {
	// Mount makes the layer named by labels available at mountpoint.
	// It returns an error wrapping errdefs.ErrNotImplemented when labels do
	// not describe a layer this RemoteFS can serve, so the snapshotter falls
	// back to a normal (containerd-applied) snapshot.
	Mount(ctx context.Context, mountpoint string, labels map[string]string) error
	// Check reports whether the layer at mountpoint is still usable.
	Check(ctx context.Context, mountpoint string, labels map[string]string) error
	// Unmount releases whatever Mount set up at mountpoint.
	Unmount(ctx context.Context, mountpoint string) error
}

// How a RemoteFS restored a layer: the values of LabelRemote.
const (
	// RemoteLazy: mounted from the registry, fetched on demand and in the
	// background.
	RemoteLazy = "lazy"
	// RemoteFull: downloaded and extracted before Mount returned.
	RemoteFull = "full"
)

// ModeReporter is implemented by a RemoteFS that can tell, once Mount
// returned nil, how it restored the layer at mountpoint (RemoteLazy or
// RemoteFull) and, when not lazily, why. The snapshotter records both on
// the committed snapshot (LabelRemote, LabelRemoteReason), where a runner
// reads them after a pull.
type ModeReporter interface {
	Mode(mountpoint string) (mode, reason string)
}
