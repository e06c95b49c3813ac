package main

import (
	"github.com/spf13/cobra"

	"github.com/devcache/devcache/internal/cli"
)

func newRootCommand() *cobra.Command {
	root := cli.NewRoot("devcache-snapshotter",
		"containerd snapshotter plugin that captures and restores prebuild filesystems",
		`devcache-snapshotter serves containerd's snapshots gRPC API on a unix socket
(configure it under [proxy_plugins] in containerd's config). It stores
snapshots on overlayfs, captures a container's changes as eStargz layers and
restores them lazily.

Without a subcommand it runs the plugin server until SIGINT/SIGTERM, then
drains running calls.`)
	var o serveOptions
	o.bind(root)
	root.RunE = func(cmd *cobra.Command, _ []string) error { return serve(cmd.Context(), o) }
	root.AddCommand(newCaptureCommand())
	return root
}
