package main

import (
	"github.com/spf13/cobra"

	"github.com/devcache/devcache/internal/cli"
)

func newRootCommand() *cobra.Command {
	root := cli.NewRoot("devcache",
		"Get a Dev Container image for an environment: cache hit, or build and push",
		`devcache is what a runner host calls to get an environment's image.
It computes the cache key of a devcontainer.json, looks the image up through
devcache-proxy and, on a miss, builds it with devcache-frontend on buildkitd
and pushes it for the next environment of the same project.`)
	root.AddCommand(newBuildCommand(), newKeyCommand())
	root.AddCommand(newPrebuildCommand(), newEnvCommand(), newPrefetchCommand())
	return root
}
