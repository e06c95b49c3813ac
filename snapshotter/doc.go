// Package snapshotter is devcache's containerd snapshotter: overlayfs
// snapshots with bbolt metadata, prebuild capture as eStargz layers and lazy
// restore.
package snapshotter
