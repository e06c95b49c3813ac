// Command devcache-frontend is a BuildKit gateway frontend that builds a Dev
// Container image from devcontainer.json. BuildKit runs it inside the
// frontend image (stdin/stdout carry the gateway API); run by hand it only
// answers --version and --help.
package main

import (
	_ "github.com/moby/buildkit/util/grpcutil/encoding/proto" // vtproto-aware gRPC codec for the gateway API

	"github.com/devcache/devcache/internal/cli"
)

func main() {
	cli.Main(newRootCommand())
}
