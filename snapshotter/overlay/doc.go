// Package overlay is devcache's overlayfs snapshotter: containerd's
// snapshots.Snapshotter on overlayfs, with metadata in bbolt (containerd's
// core/snapshots/storage metastore) and a snapshotter.RemoteFS hook that
// answers the remote-snapshot handshake for prebuild layers.
//
// Layout under the root directory:
//
//	metadata.db            bbolt metastore (snapshot names, parents, labels, ids)
//	snapshots/<id>/fs      the snapshot's upper directory (or a RemoteFS mount)
//	snapshots/<id>/work    overlayfs workdir of active snapshots
//
// It is modelled on containerd's plugins/snapshots/overlay and
// stargz-snapshotter's snapshot package; it passes containerd's
// core/snapshots/testsuite under the name "overlayfs".
package overlay
