// Package credentials issues runner credentials: the admin endpoint's HTTP
// handler (a separate listener guarded by its own secret), a client for it
// that other devcache components call, and a local issuer that mints them
// from the proxy's key file on the same host.
package credentials
