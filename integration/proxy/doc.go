// Package proxy holds devcache-proxy's end-to-end tests: the OCI
// conformance runner through the proxy, the isolation suite (two projects,
// every attack of research §6), expiry and gc, the binary's serve /
// credentials / drain, and real clients (buildctl through buildkitd, ctr
// through containerd, go-containerregistry).
package proxy
