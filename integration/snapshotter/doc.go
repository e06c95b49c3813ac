// Package snapshotter tests devcache-snapshotter against a real containerd:
// each test starts its own plugin and containerd (under t.TempDir(), with
// [proxy_plugins.devcache] pointing at the plugin), pulls and runs the
// stack's busybox image with ctr --snapshotter devcache, captures the
// container, pushes it to the stack's registry and restores it on a fresh
// containerd state.
package snapshotter
