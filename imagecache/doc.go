// Package imagecache is the Dev Container image cache as a runner host uses
// it: compute an environment's cache key, look the image up through
// devcache-proxy, and on a miss build it with devcache-frontend on buildkitd
// and push it (create) or only use it (rebuild).
//
// The flow is Cache.Get; its parts are small interfaces (Keyer, Registry,
// Builder, Runtime) so each is tested on its own and wired in cmd/devcache.
package imagecache
