// Package registryproxy is the scoping OCI distribution proxy: request
// canonicalisation, the token service, the policies (isolation,
// push-on-create, immutable tags, expiry) and the backing registries.
package registryproxy
