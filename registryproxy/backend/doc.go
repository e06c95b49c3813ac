// Package backend holds the backing registries the proxy forwards to: the
// embedded distribution v3 registry with filesystem storage (Embedded) and
// any OCI registry reachable by URL with basic or static bearer credentials
// (Remote). Both implement registryproxy.Backend.
package backend
