package main

import (
	"os"

	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/spf13/cobra"

	"github.com/devcache/devcache/frontend/builder"
	"github.com/devcache/devcache/internal/cli"
)

// underBuildKit reports whether the gateway started this process: it always
// sets the session id.
func underBuildKit() bool { return os.Getenv("BUILDKIT_SESSION_ID") != "" }

func newRootCommand() *cobra.Command {
	root := cli.NewRoot("devcache-frontend",
		"BuildKit frontend: devcontainer.json to LLB",
		`devcache-frontend turns a devcontainer.json (image or Dockerfile, plus Dev
Container Features) into LLB. BuildKit runs it from its image; select it with
  docker buildx build --build-arg BUILDKIT_SYNTAX=<frontend image> -f .devcontainer/devcontainer.json .
or a first line "// syntax=<frontend image>" in devcontainer.json, or
  buildctl build --frontend gateway.v0 --opt source=<frontend image> \
    --local context=. --local dockerfile=.devcontainer --opt filename=devcontainer.json`)
	root.Args = cobra.NoArgs
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		if !underBuildKit() {
			return cmd.Help()
		}
		// stdout is the gateway connection: nothing else may write to it.
		return grpcclient.RunFromEnvironment(cmd.Context(), builder.Build)
	}
	root.AddCommand(newResolveCommand())
	return root
}
