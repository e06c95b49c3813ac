// Command devcache-frontend is a BuildKit gateway frontend that builds a Dev
// Container image from devcontainer.json. BuildKit runs it inside the
// frontend image; run by hand it only answers --version and --help.
package main

import "github.com/devcache/devcache/internal/cli"

func main() {
	cli.Main(newRootCommand())
}
