package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/spf13/cobra"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/internal/metrics"
	"github.com/devcache/devcache/internal/tracing"
)

// buildFlags are devcache build's own flags.
type buildFlags struct {
	project        string
	rebuild        bool
	skipImageCache bool
	noCache        bool
	format         string
	metricsFile    string
}

func newBuildCommand() *cobra.Command {
	var (
		o  runnerOptions
		ws workspaceFlags
		bf buildFlags
	)
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Get the environment's Dev Container image: from the cache, or built (and pushed on create)",
		Long: `build computes the cache key of the workspace's devcontainer.json, gets credentials
from devcache-proxy for (project, purpose), and looks projects/<project>/image-build:<key> up.
A hit is pulled and the build time it saves is printed; a miss is built with
devcache-frontend on buildkitd and, when the environment is being created, pushed to
the cache with its build time recorded. --rebuild asks for pull-only credentials:
a miss is built but never pushed.

--result-format json prints one JSON object, on failure too ("outcome": "error",
the message, the phase and the position in devcontainer.json). The exit status
says what failed: 3 the configuration, 4 a registry, 5 the build, 6 a Compose
configuration (docs/devcache-build.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkResultFormat(bf.format); err != nil {
				return err
			}
			res, err := runBuild(cmd.Context(), cmd, &o, &ws, &bf)
			if res == nil {
				res = &imagecache.Result{}
			}
			if err != nil && res.Outcome != imagecache.OutcomeError {
				res.Fail(err)
			}
			if bf.metricsFile != "" {
				if merr := metrics.AddToTextfile(bf.metricsFile, imagecache.ResultMetrics(res, time.Now())); merr != nil {
					log.G(cmd.Context()).Warn("the run is not counted in --metrics-file", "error", merr)
				}
			}
			if bf.format == "json" {
				if perr := printJSON(cmd.OutOrStdout(), res); perr != nil && err == nil {
					return perr
				}
				return err
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), res.Image)
			return nil
		},
	}
	f := cmd.Flags()
	ws.register(f)
	o.register(f)
	f.StringVar(&bf.project, "project", os.Getenv("DEVCACHE_PROJECT"), "the environment's project ($DEVCACHE_PROJECT); empty builds without the cache")
	f.BoolVar(&bf.rebuild, "rebuild", false, "the environment exists and rebuilds its Dev Container: pull-only credentials, never push")
	f.BoolVar(&bf.skipImageCache, "skip-image-cache", false, "skip devcache's image cache for this build: no lookup, no push")
	f.BoolVar(&bf.noCache, "no-cache", false, "on a miss, build without BuildKit's cache, as buildx --no-cache (a fresh runner host's build)")
	f.BoolVar(&bf.noCache, "no-build-cache", false, "build without BuildKit's cache (deprecated: use --no-cache)")
	_ = f.MarkDeprecated("no-build-cache", "use --no-cache, which now means BuildKit's cache as in buildx; --skip-image-cache skips devcache's image cache")
	registerResultFormat(f, &bf.format)
	f.StringVar(&bf.metricsFile, "metrics-file", os.Getenv("DEVCACHE_METRICS_FILE"), "add this run's outcome and durations to a Prometheus textfile-collector file, e.g. /var/lib/node_exporter/textfile/devcache.prom ($DEVCACHE_METRICS_FILE; docs/devcache-build.md)")
	f.StringVar((*string)(&o.progress), "progress", string(progressui.AutoMode), "build progress: auto, plain, tty, rawjson or quiet")
	return cmd
}

func runBuild(ctx context.Context, cmd *cobra.Command, o *runnerOptions, ws *workspaceFlags, bf *buildFlags) (*imagecache.Result, error) {
	ctx, span := tracing.Start(ctx, "devcache build")
	res, err := runBuildTraced(ctx, cmd, o, ws, bf)
	tracing.End(span, err)
	return res, err
}

func runBuildTraced(ctx context.Context, cmd *cobra.Command, o *runnerOptions, ws *workspaceFlags, bf *buildFlags) (*imagecache.Result, error) {
	w, err := ws.resolve()
	if err != nil {
		return nil, &imagecache.PhaseError{Phase: imagecache.PhaseConfig, Err: err}
	}
	c, cleanup, err := o.cache(ctx, cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if logFormat(cmd) != string(log.FormatJSON) {
		c.Status = cmd.ErrOrStderr() // the hit line, whatever the log level
	}
	purpose := contract.PurposeCreate
	if bf.rebuild {
		purpose = contract.PurposeRebuild
	}
	return c.Get(ctx, imagecache.Request{
		Workspace: w, Project: bf.project, Purpose: purpose, SkipImageCache: bf.skipImageCache, NoBuildCache: bf.noCache,
		LocalName: "devcache.local/" + filepath.Base(w.Folder) + ":latest",
	})
}
