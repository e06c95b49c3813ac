package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/devcache/devcache/frontend/features/registry"
)

// newResolveCommand is the helper the frontend runs inside a build step (in
// its own image) to fetch a Feature's OCI manifest with a full registry
// client: the Docker token flow, anonymous or with the credentials of
// $DOCKER_CONFIG/config.json (a build secret). The manifest bytes are
// written as served, so their sha256 is the manifest digest.
func newResolveCommand() *cobra.Command {
	var out string
	var (
		insecure []string
		legacy   bool
	)
	cmd := &cobra.Command{
		Use:    "resolve-feature-manifest REF",
		Short:  "fetch the OCI manifest of a Dev Container Feature (used inside builds)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if legacy { // the old boolean: the reference's own registry
				insecure = append(insecure, strings.SplitN(args[0], "/", 2)[0])
			}
			dt, _, err := registry.FetchManifest(cmd.Context(), args[0], registry.Options{Insecure: insecure})
			if err != nil {
				return err
			}
			return os.WriteFile(out, dt, 0o644) //nolint:gosec // a manifest, not a secret
		},
	}
	cmd.Flags().StringVar(&out, "out", "manifest.json", "file to write the manifest to")
	cmd.Flags().StringSliceVar(&insecure, "insecure-registry", nil, "registry host[:port] reached over plain HTTP besides loopback and *.localhost (repeatable)")
	cmd.Flags().BoolVar(&legacy, "insecure", false, "reach the reference's registry over plain HTTP")
	_ = cmd.Flags().MarkDeprecated("insecure", "use --insecure-registry HOST")
	return cmd
}
