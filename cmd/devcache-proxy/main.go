// Command devcache-proxy is the scoping OCI registry proxy: it stores each
// project's built images under their cache key in a backing registry and
// enforces project isolation, push-on-create credentials, immutable tags and
// expiry.
package main

import "github.com/devcache/devcache/internal/cli"

func main() {
	cli.Main(newRootCommand())
}
