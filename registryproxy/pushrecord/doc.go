// Package pushrecord keeps the push time of every tag the proxy stores, in
// the backing registry itself so that expiry works with any backend and on
// every replica. A record is a small OCI artifact manifest (empty config and
// layer, annotations holding repository, tag, digest and push time) tagged
// r-<sha256(repository NUL tag)> in one metadata repository that clients
// can never name.
package pushrecord
