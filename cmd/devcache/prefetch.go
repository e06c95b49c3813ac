package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/devcache/devcache/imagecache"
)

func newPrefetchCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "prefetch",
		Short: "Record what an environment reads first, so lazy starts fetch it first",
	}
	cmd.AddCommand(newPrefetchRecordCommand())
	return cmd
}

func newPrefetchRecordCommand() *cobra.Command {
	var (
		o       runnerOptions
		project string
		image   string
		output  string
	)
	cmd := &cobra.Command{
		Use:   "record --project P --image REF -- COMMAND [ARG...]",
		Short: "Run the environment's first command with its reads recorded, and store them with the cached image",
		Long: `record runs COMMAND (the environment's first lifecycle command, e.g. javac -version)
in a new container of the cached image REF (as devcache build made it available,
in --containerd-address and --namespace), records with fanotify the files it opens,
and pushes them beside the image as its prefetch list (<key>-prefetch, write-once,
with the project's create credentials). Later lazy starts of the image
(devcache build --snapshotter devcache) read those files first.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if project == "" || image == "" {
				return errors.New("--project and --image are required")
			}
			ctx := cmd.Context()
			c, cleanup, err := o.cache(ctx, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer cleanup()
			rt, ok := c.Runtime.(*imagecache.Containerd)
			if !ok {
				return errors.New("--containerd-address is required")
			}
			fs, err := rt.RecordFirstStart(ctx, image, args)
			if fs != nil {
				_, _ = cmd.ErrOrStderr().Write(fs.Output)
			}
			if err != nil {
				return err
			}
			ref, err := c.SavePrefetch(ctx, project, image, fs.Files)
			if err != nil {
				return err
			}
			if output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"prefetch": ref, "files": len(fs.Files), "seconds": fs.Took.Seconds()})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s (%d files)\n", ref, len(fs.Files))
			return nil
		},
	}
	f := cmd.Flags()
	o.register(f)
	f.StringVar(&project, "project", os.Getenv("DEVCACHE_PROJECT"), "the environment's project ($DEVCACHE_PROJECT)")
	f.StringVar(&image, "image", "", "the cached image (projects/<project>/image-build:<key> through the proxy)")
	f.StringVar(&output, "output", "text", "text or json")
	return cmd
}
