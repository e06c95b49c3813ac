//go:build !linux

package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Prebuilds capture overlayfs snapshots: they need a Linux runner host.
func newPrebuildCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "prebuild",
		Short: "Run the setup once, snapshot it (Linux runner hosts only)",
		RunE: func(*cobra.Command, []string) error {
			return fmt.Errorf("prebuilds need a Linux runner host (overlayfs, containerd)")
		},
	}
}
