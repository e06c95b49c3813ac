// Package container runs environment containers in containerd on the
// devcache snapshotter: pull (with the labels the snapshotter's lazy restore
// needs), create and start a long-lived container, run commands in it as
// lifecycle.Executor, stop and remove it.
package container
