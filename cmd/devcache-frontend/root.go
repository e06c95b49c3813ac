package main

import (
	"github.com/spf13/cobra"

	"github.com/devcache/devcache/internal/cli"
)

func newRootCommand() *cobra.Command {
	root := cli.NewRoot("devcache-frontend",
		"BuildKit frontend: devcontainer.json to LLB",
		`devcache-frontend turns a devcontainer.json (image or Dockerfile, plus Dev
Container Features) into LLB. Select it with
  docker buildx build --build-arg BUILDKIT_SYNTAX=<frontend image> -f .devcontainer/devcontainer.json .`)
	return root
}
