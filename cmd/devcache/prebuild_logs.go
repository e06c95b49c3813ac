package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/containerd/errdefs"
	"github.com/spf13/cobra"
)

func newPrebuildLogsCommand() *cobra.Command {
	var (
		o       prebuildOptions
		project string
	)
	cmd := &cobra.Command{
		Use:   "logs ID",
		Short: "Print a failed prebuild's reason and step logs (from the registry)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cat, err := o.catalog()
			if err != nil {
				return err
			}
			list, err := cat.List(ctx, project)
			if err != nil {
				return err
			}
			for _, p := range list {
				if p.ID != args[0] {
					continue
				}
				logs, err := cat.ReadLogs(ctx, p)
				if err != nil {
					return err
				}
				if len(logs) == 0 {
					return fmt.Errorf("prebuild %s is %s: only failed prebuilds keep their logs", p.ID, p.Phase)
				}
				names := make([]string, 0, len(logs))
				for n := range logs {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					fmt.Fprintf(cmd.OutOrStdout(), "==> %s <==\n%s\n", n, logs[n])
				}
				return nil
			}
			return fmt.Errorf("prebuild %s in project %s: %w", args[0], project, errdefs.ErrNotFound)
		},
	}
	o.register(cmd.Flags())
	cmd.Flags().StringVar(&project, "project", os.Getenv("DEVCACHE_PROJECT"), "the project ($DEVCACHE_PROJECT)")
	_ = cmd.MarkFlagRequired("project")
	return cmd
}
