package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
)

func newKeyCommand() *cobra.Command {
	var (
		ws       workspaceFlags
		proxy    proxyOptions
		project  string
		explain  bool
		against  string
		output   string
		platform platformFlag
	)
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Print the cache key of a workspace's Dev Container configuration",
		Long: `key computes the cache key the frontend labels the image with: from the bytes of
devcontainer.json and of its Dockerfile, the digest of a directly referenced
image, the digest of every Feature (in install order), the target
platform(s) (--platform, normalised and sorted; default this host's) and the
key schema version. A Dockerfile's FROM images are not inputs: change the Dockerfile (or
delete the cached image) to rebuild when a base tag moves.

--explain prints every input; --against IMAGE names the inputs that differ
from a cached image's dev.devcache.cache-key labels (why a lookup missed).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkResultFormat(output); err != nil {
				return err
			}
			w, err := ws.resolve()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			config, err := os.ReadFile(w.Config)
			if err != nil {
				return err
			}
			vars := imagecache.ReadVariables(w, config, nil)
			ps, err := platform.platforms()
			if err != nil {
				return err
			}
			insecure := proxy.insecure.list(ctx, proxy.proxy)
			in, err := imagecache.HostKeyer{Insecure: insecure, Platforms: ps}.Inputs(ctx, w, config, vars, nil)
			if err != nil {
				return err
			}
			out := keyOutput{Key: in.Key().String(), Inputs: in.List()}
			if against != "" {
				var creds *imagecache.HostCredentials
				if project != "" && proxy.proxy != "" {
					pc, err := proxy.credentials()
					if err != nil {
						return err
					}
					// refresh credentials only pull.
					if creds, err = pc.Issue(ctx, project, contract.PurposeRefresh); err != nil {
						return err
					}
				}
				img, err := (&imagecache.OCIRegistry{Platform: lookupPlatform(ps), Insecure: insecure}).Lookup(ctx, against, creds)
				if err != nil {
					return err
				}
				_, old, err := cachekey.FromLabels(img.Labels)
				if err != nil {
					return fmt.Errorf("%s: %w", against, err)
				}
				out.Against, out.Changes = against, cachekey.Diff(old, out.Inputs)
				if out.Changes == nil {
					out.Changes = []cachekey.Change{}
				}
			}
			return out.print(cmd, output, explain)
		},
	}
	ws.register(cmd.Flags())
	proxy.register(cmd.Flags())
	platform.register(cmd.Flags())
	cmd.Flags().StringVar(&project, "project", os.Getenv("DEVCACHE_PROJECT"), "with --against through the proxy: the project whose pull credentials read the image")
	cmd.Flags().BoolVar(&explain, "explain", false, "print every input of the key")
	cmd.Flags().StringVar(&against, "against", "", "compare with the cache-key labels of this image reference")
	registerResultFormat(cmd.Flags(), &output)
	return cmd
}

type keyOutput struct {
	Key     string            `json:"key"`
	Inputs  []cachekey.Input  `json:"inputs"`
	Against string            `json:"against,omitempty"`
	Changes []cachekey.Change `json:"changes,omitempty"`
}

func (o keyOutput) print(cmd *cobra.Command, format string, explain bool) error {
	w := cmd.OutOrStdout()
	switch format {
	case "json":
		return printJSON(w, o)
	}
	fmt.Fprintln(w, o.Key)
	if explain {
		for _, in := range o.Inputs {
			fmt.Fprintf(w, "  %s = %s\n", in.Name, in.Value)
		}
	}
	if o.Against != "" {
		if len(o.Changes) == 0 {
			fmt.Fprintf(w, "same inputs as %s\n", o.Against)
		}
		for _, c := range o.Changes {
			fmt.Fprintf(w, "%s (vs %s)\n", c, o.Against)
		}
	}
	return nil
}
