package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/spf13/cobra"

	"github.com/devcache/devcache/imagecache"
)

func newBuildCommand() *cobra.Command {
	var (
		o       runnerOptions
		ws      workspaceFlags
		project string
		rebuild bool
		noCache bool
		noBuild bool
		output  string
	)
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Get the environment's Dev Container image: from the cache, or built (and pushed on create)",
		Long: `build computes the cache key of the workspace's devcontainer.json, gets credentials
from devcache-proxy for (project, purpose), and looks projects/<project>/image-build:<key> up.
A hit is pulled and the build time it saves is logged; a miss is built with
devcache-frontend on buildkitd and, when the environment is being created, pushed to
the cache with its build time recorded. --rebuild asks for pull-only credentials:
a miss is built but never pushed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("invalid --output %q: want text or json", output)
			}
			w, err := ws.resolve()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			c, cleanup, err := o.cache(ctx, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer cleanup()
			purpose := imagecache.PurposeCreate
			if rebuild {
				purpose = imagecache.PurposeRebuild
			}
			res, err := c.Get(ctx, imagecache.Request{
				Workspace: w, Project: project, Purpose: purpose, NoCache: noCache, NoBuildCache: noBuild,
				LocalName: "devcache.local/" + filepath.Base(w.Folder) + ":latest",
			})
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			fmt.Fprintln(cmd.OutOrStdout(), res.Image)
			return nil
		},
	}
	f := cmd.Flags()
	ws.register(f)
	o.register(f)
	f.StringVar(&project, "project", os.Getenv("DEVCACHE_PROJECT"), "the environment's project ($DEVCACHE_PROJECT); empty builds without the cache")
	f.BoolVar(&rebuild, "rebuild", false, "the environment exists and rebuilds its Dev Container: pull-only credentials, never push")
	f.BoolVar(&noCache, "no-cache", false, "skip the cache for this build: no lookup, no push")
	f.BoolVar(&noBuild, "no-build-cache", false, "on a miss, build without BuildKit's local cache (as a fresh runner host would)")
	f.StringVar(&output, "output", "text", "result format: text (the image reference) or json")
	f.StringVar((*string)(&o.progress), "progress", string(progressui.AutoMode), "build progress: auto, plain, tty, rawjson or quiet")
	return cmd
}
