// Package integration holds devcache's end-to-end tests. Each flow is its own
// package below this one; testenv hands them the real stack (buildkitd,
// registry, containerd) that hack/stack starts.
package integration
