// Package prebuild tests prebuilds end to end against a real containerd and
// devcache-snapshotter: each test starts its own plugin and containerd under
// t.TempDir() (a "runner host"), runs prebuilds of a small project on the
// stack's busybox image, pushes them to the stack's registry and starts
// environments from them on another runner host.
package prebuild
