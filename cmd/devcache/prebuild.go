//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/inflight"
	"github.com/devcache/devcache/prebuild/phase"
	"github.com/devcache/devcache/prebuild/runner"
)

func newPrebuildCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "prebuild",
		Short: "Run the setup once, snapshot it, start every environment from it",
		Long: `A prebuild gets the Dev Container image (image cache, purpose create), runs
initializeCommand on the host, onCreateCommand, updateContentCommand and the
automations triggered by "prebuild" and "beforeSnapshot" in the container, then
captures the whole container filesystem (and the workspace folder) with
devcache-snapshotter and pushes it to projects/<project>/prebuild.
Environments of the project start from the most recent successful prebuild of
their environment class (devcache env create).`,
	}
	cmd.AddCommand(newPrebuildRunCommand(), newPrebuildListCommand(), newPrebuildLogsCommand(), newPrebuildPruneCommand(),
		newPrebuildScheduleCommand(), newPrebuildServeCommand())
	return cmd
}

// prebuildRequest are the flags that describe one prebuild.
type prebuildRequest struct {
	ws               workspaceFlags
	secrets          secretFlags
	project, class   string
	commit, user     string
	executionTimeout time.Duration
	incremental      bool
}

func (r *prebuildRequest) register(cmd *cobra.Command) {
	f := cmd.Flags()
	r.ws.register(f)
	r.secrets.register(f)
	f.StringVar(&r.project, "project", os.Getenv("DEVCACHE_PROJECT"), "the project ($DEVCACHE_PROJECT)")
	f.StringVar(&r.class, "environment-class", os.Getenv("DEVCACHE_ENVIRONMENT_CLASS"), "the environment class, e.g. cpu4-mem8g-disk50g ($DEVCACHE_ENVIRONMENT_CLASS)")
	f.StringVar(&r.commit, "commit", "", "the commit the workspace is checked out at")
	f.StringVar(&r.user, "user", os.Getenv("USER"), "who the prebuild runs as (recorded on it)")
	f.DurationVar(&r.executionTimeout, "execution-timeout", prebuild.DefaultExecutionTimeout, "the project's execution timeout (5m..2h)")
	f.BoolVar(&r.incremental, "incremental", false, "a new commit: build on the class's current prebuild when the Dev Container key is unchanged (sync the checkout, run updateContentCommand and the automations; not onCreateCommand)")
	_ = cmd.MarkFlagRequired("project")
	_ = cmd.MarkFlagRequired("environment-class")
}

// run runs one prebuild with the host's options.
func (r *prebuildRequest) run(ctx context.Context, o *prebuildOptions, trigger prebuild.Trigger) (*runner.Result, error) {
	exec, err := prebuild.ExecutionTimeout(r.executionTimeout)
	if err != nil {
		return nil, err
	}
	w, err := r.ws.resolve()
	if err != nil {
		return nil, err
	}
	secrets, err := r.secrets.parse()
	if err != nil {
		return nil, err
	}
	rn, cleanup, err := o.newRunner(ctx, r.project)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	return rn.Run(ctx, runner.Request{
		Project: r.project, EnvironmentClass: r.class, Commit: r.commit, Trigger: trigger, User: r.user,
		WorkspaceFolder: w.Folder, ConfigFile: w.Config, Secrets: secrets,
		Timeouts: runner.Timeouts{Execution: exec}, Incremental: r.incremental,
	})
}

// newRunner assembles the host's prebuild runner for project; cleanup closes
// what it opened.
func (o *prebuildOptions) newRunner(ctx context.Context, project string) (_ *runner.Runner, cleanup func(), err error) {
	host, err := o.host()
	if err != nil {
		return nil, nil, err
	}
	cat, err := o.catalog()
	if err != nil {
		return nil, nil, err
	}
	client, err := o.containerd()
	if err != nil {
		return nil, nil, err
	}
	images, closeImages, err := o.images(ctx)
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	cleanup = func() { closeImages(); client.Close() }
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	st, err := inflight.Open(o.stateDir)
	if err != nil {
		return nil, nil, err
	}
	pull, err := o.pullOptions(ctx, project, contract.PurposeCreate)
	if err != nil {
		return nil, nil, err
	}
	// The capture's credential: taken when the capture starts, renewed.
	remoteOpts, err := o.remoteOptions(ctx, project)
	if err != nil {
		return nil, nil, err
	}
	return &runner.Runner{
		Client: client, Namespace: o.runner.namespace, Snapshotter: o.snapshotter(),
		Images: images, Recorder: cat, Catalog: cat, InFlight: st,
		Registry: host, Insecure: o.insecure, Pull: pull, Remote: remoteOpts,
		StateDir: o.stateDir, HostNetwork: o.hostNetwork,
	}, cleanup, nil
}

func newPrebuildRunCommand() *cobra.Command {
	var (
		o      prebuildOptions
		req    prebuildRequest
		output string
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run a prebuild now (manual trigger, as --user)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := req.run(cmd.Context(), &o, prebuild.TriggerManual)
			if res != nil {
				if perr := printResult(cmd, output, res); perr != nil && err == nil {
					err = perr
				}
			}
			return err
		},
	}
	o.register(cmd.Flags())
	req.register(cmd)
	cmd.Flags().StringVar(&output, "output", "text", "text or json")
	return cmd
}

func printResult(cmd *cobra.Command, output string, res *runner.Result) error {
	if output == "json" {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	p := res.Prebuild
	fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s\n", p.ID, p.Phase, p.Reference)
	if p.Reason != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "reason: %s\n", p.Reason)
		if n := len(res.Record.Steps); n > 0 {
			s := res.Record.Steps[n-1]
			fmt.Fprintf(cmd.OutOrStdout(), "--- %s (exit %d) ---\n%s", s.Step, s.ExitCode, s.Output)
		}
	}
	return nil
}

func newPrebuildListCommand() *cobra.Command {
	var (
		o       prebuildOptions
		project string
		output  string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List a project's prebuilds: phase, class, age, size, commit",
		Long: `list reads the registry (the truth every runner host shares) and this host's
in-flight store (prebuilds still running here). STATUS is active (what an
environment of the class starts from), superseded, failed (kept for
debugging, never selected), expired or incomplete. SIZE is the data the
prebuild stores (its compressed layers), not the volume size.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cat, err := o.catalog()
			if err != nil {
				return err
			}
			list, err := cat.List(ctx, project)
			if err != nil {
				return err
			}
			var running []phase.Record
			if st, err := inflight.Open(o.stateDir); err == nil {
				recs, err := st.List(ctx)
				if err != nil {
					log.G(ctx).Warn("reading in-flight prebuilds", "error", err)
				}
				for _, r := range recs {
					if r.Project == project {
						running = append(running, r)
					}
				}
			}
			now := time.Now()
			status := prebuild.Statuses(list, now)
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"prebuilds": list, "status": status, "inFlight": running})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPHASE\tSTATUS\tCLASS\tAGE\tSIZE\tCOMMIT\tTRIGGER\tUSER")
			for _, r := range running {
				fmt.Fprintf(tw, "%s\t%s\t%s\t\t%s\t\t\t\t\n", r.ID, r.Phase, "in flight here",
					units.HumanDuration(now.Sub(r.Transitions[0].At)))
			}
			for _, p := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Phase, status[p.ID], p.EnvironmentClass,
					units.HumanDuration(now.Sub(p.Created)), units.HumanSize(float64(p.Size)), short(p.Commit), p.Trigger, p.User)
			}
			return tw.Flush()
		},
	}
	o.register(cmd.Flags())
	cmd.Flags().StringVar(&project, "project", os.Getenv("DEVCACHE_PROJECT"), "the project ($DEVCACHE_PROJECT)")
	cmd.Flags().StringVar(&output, "output", "text", "text or json")
	_ = cmd.MarkFlagRequired("project")
	return cmd
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

func newPrebuildPruneCommand() *cobra.Command {
	var (
		o       prebuildOptions
		project string
	)
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Delete the project's prebuilds older than 7 days (failed ones too)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := o.catalog()
			if err != nil {
				return err
			}
			pruned, err := prebuild.Prune(cmd.Context(), cat, project, time.Now())
			for _, p := range pruned {
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %s (%s, created %s)\n", p.ID, p.Phase, p.Created.Format(time.RFC3339))
			}
			return err
		},
	}
	o.register(cmd.Flags())
	cmd.Flags().StringVar(&project, "project", os.Getenv("DEVCACHE_PROJECT"), "the project ($DEVCACHE_PROJECT)")
	_ = cmd.MarkFlagRequired("project")
	return cmd
}
