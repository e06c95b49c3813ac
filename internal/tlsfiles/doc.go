// Package tlsfiles loads TLS material from PEM files for every devcache
// binary (the proxy's admin listener, the devcache CLI's admin client): CA
// bundles and key pairs, with errors that name the file, and a key pair that
// is expired or not yet valid refused when it is loaded rather than when a
// peer hangs up on it.
package tlsfiles
