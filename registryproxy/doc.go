// Package registryproxy is the scoping OCI distribution proxy: request
// canonicalisation, the token service, the policies (isolation,
// push-on-create, immutable tags, expiry) and the backing registries.
//
// This package holds the interfaces the parts meet at (Backend, BlobFiles);
// the implementations live in subpackages:
//
//   - route: canonical request parsing (ParsePath), names, tags, digests
//   - token: scopes (ParseScope), signed credentials and access tokens
//   - policy: repositories, grants per purpose, authorisation, immutable tags, expiry
//   - pushrecord: push times kept in the backend, so expiry works on any backend and replica
//   - backend: the embedded distribution registry and remote registries by URL
//   - server: the HTTP edge (/token and /v2/)
//   - credentials: the admin endpoint, its client and a local issuer
//   - keys: the shared key file
//   - config: the strict TOML configuration
//   - gc: the expiry sweeper
//   - service: assembly of all of the above from a configuration
package registryproxy
