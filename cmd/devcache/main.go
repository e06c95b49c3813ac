// Command devcache is the runner-side CLI: it computes an environment's cache
// key, looks the image up through devcache-proxy, and on a miss builds it
// with devcache-frontend on buildkitd and pushes it.
package main

import "github.com/devcache/devcache/internal/cli"

func main() {
	cli.Main(newRootCommand())
}
