package main

import (
	"github.com/spf13/cobra"

	"github.com/devcache/devcache/internal/cli"
)

func newRootCommand() *cobra.Command {
	root := cli.NewRoot("devcache-proxy",
		"Scoping OCI registry proxy for per-project Dev Container image caches",
		`devcache-proxy speaks the OCI distribution API and the Docker registry token
protocol in front of a backing registry (an embedded distribution registry by
default). Each project's images are reachable only with credentials issued for
that project.`)
	root.AddCommand(newServeCommand(), newCredentialsCommand(), newGCCommand(), newKeysCommand())
	return root
}
