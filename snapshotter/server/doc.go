// Package server serves a snapshots.Snapshotter over containerd's snapshots
// gRPC API on a unix socket, the way containerd expects a [proxy_plugins]
// snapshotter to. Errors are mapped to gRPC codes with errgrpc by
// containerd's contrib/snapshotservice.
package server
