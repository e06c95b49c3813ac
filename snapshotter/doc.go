// Package snapshotter is devcache's containerd snapshotter: overlayfs
// snapshots with bbolt metadata, prebuild capture as eStargz layers and lazy
// restore.
//
// This package holds the contracts shared by the implementations in its
// subpackages: the RemoteFS boundary between the overlay snapshotter and the
// layer fetchers (snapshotter/restore), and the containerd labels the
// snapshotter, capture and restore agree on. The annotations of prebuild
// manifests are internal/contract's.
package snapshotter
