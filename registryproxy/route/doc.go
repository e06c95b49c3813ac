// Package route canonicalises OCI distribution API requests. ParsePath
// turns a request's escaped path and query into a Route built only from
// validated parts (repository name, tag, digest, upload id); anything that
// is not already canonical (.., %2e, %2f, //, uppercase names, backslashes,
// malformed digests or tags) is rejected before any authorisation decision.
// The proxy forwards requests rebuilt from a Route, never the raw path.
package route
