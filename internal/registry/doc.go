// Package registry is how devcache reaches an OCI registry, written once:
// which hosts are spoken to over plain HTTP (Insecure), how references are
// parsed under that rule, the go-containerregistry options a request carries
// (transport, credentials, platform), and the one mapping of a registry's
// answer onto containerd/errdefs kinds (Error, Kind).
//
// The frontend, imagecache, prebuild, the snapshotter and the proxy's own
// clients use it; go-containerregistry's pkg/v1/remote options and
// transport.Error are the model: one option set, one error type.
package registry
