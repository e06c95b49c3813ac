// Package snapshotter holds devcache-snapshotter's install files (the
// systemd unit, containerd's proxy_plugins snippet, install.sh) and the
// offline test that keeps the unit's relation to containerd as
// stargz-snapshotter's: ordered before it, never required by it.
package snapshotter
