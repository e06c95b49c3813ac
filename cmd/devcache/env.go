package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/prebuild/environment"
)

func newEnvCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Start environments (from the project's prebuild when there is one)",
	}
	cmd.AddCommand(newEnvCreateCommand())
	return cmd
}

func newEnvCreateCommand() *cobra.Command {
	var (
		o          prebuildOptions
		ws         workspaceFlags
		secrets    secretFlags
		id         string
		project    string
		class      string
		noPrebuild bool
		output     string
		ref        string
		remote     string
	)
	cmd := &cobra.Command{
		Use:   "create --id ID --project P --environment-class C",
		Short: "Start an environment: from the latest successful prebuild of its class, else from scratch",
		Long: `create picks the project's most recent successful prebuild of the environment
class and starts the container in containerd with devcache-snapshotter
restoring it lazily, then runs postCreateCommand, postStartCommand and
postAttachCommand. The log says which prebuild was used and how long the
setup would have taken without it. Without a matching prebuild it starts
normally: image, initializeCommand, onCreateCommand, updateContentCommand,
then the post* commands. The container keeps running.

With --ref (a branch, tag or commit of the project's remote, resolved before
anything starts), the prebuild's workspace is brought to that commit with
git (fetched from the remote, checked out; the prebuild's ignored and
untracked build outputs stay), updateContentCommand runs when the content
changed, then the post* commands; onCreateCommand never runs again. Without
a prebuild, the environment starts from scratch on a checkout of the commit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			w, err := ws.resolve()
			if err != nil {
				return err
			}
			sec, err := secrets.parse()
			if err != nil {
				return err
			}
			cat, err := o.catalog()
			if err != nil {
				return err
			}
			client, err := o.containerd()
			if err != nil {
				return err
			}
			defer client.Close()
			images, cleanup, err := o.images(ctx)
			if err != nil {
				return err
			}
			defer cleanup()
			// A running environment's lazy restore reads on: pull-only
			// refresh credentials, renewed, never create ones.
			pull, err := o.pullOptions(ctx, project, contract.PurposeRefresh)
			if err != nil {
				return err
			}
			c := &environment.Creator{
				Client: client, Namespace: o.runner.namespace, Snapshotter: o.snapshotter(),
				Catalog: cat, Images: images, Pull: pull, HostNetwork: o.hostNetwork, StateDir: o.stateDir,
			}
			res, err := c.Create(ctx, environment.Request{
				ID: id, Project: project, EnvironmentClass: class,
				WorkspaceFolder: w.Folder, ConfigFile: w.Config, Secrets: sec, NoPrebuild: noPrebuild,
				Ref: ref, Remote: remote,
			})
			if err != nil {
				return err
			}
			// Ready after waitFor; the later commands finish before the
			// command exits (the container keeps running).
			if err := res.Wait(); err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			from := "scratch (" + res.Reason + ")"
			if res.Prebuild != nil {
				from = "prebuild " + res.Prebuild.ID
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s started from %s: ready (after %s) in %s\n", id, from, res.WaitFor, res.Ready.Round(1e6))
			return nil
		},
	}
	o.register(cmd.Flags())
	ws.register(cmd.Flags())
	secrets.register(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&id, "id", "", "the environment's container id")
	f.StringVar(&project, "project", os.Getenv("DEVCACHE_PROJECT"), "the project ($DEVCACHE_PROJECT)")
	f.StringVar(&class, "environment-class", os.Getenv("DEVCACHE_ENVIRONMENT_CLASS"), "the environment class ($DEVCACHE_ENVIRONMENT_CLASS)")
	f.BoolVar(&noPrebuild, "no-prebuild", false, "start from scratch even when a prebuild exists")
	f.StringVar(&output, "output", "text", "text or json")
	f.StringVar(&ref, "ref", "", "branch, tag or commit to start at (brought into the prebuild's workspace with git)")
	f.StringVar(&remote, "remote", "", "the project's git remote for --ref (default: the workspace folder's origin)")
	_ = cmd.MarkFlagRequired("id")
	_ = cmd.MarkFlagRequired("project")
	return cmd
}
