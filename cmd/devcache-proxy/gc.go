package main

import (
	"encoding/json"
	"time"

	"github.com/spf13/cobra"

	"github.com/devcache/devcache/registryproxy/gc"
	"github.com/devcache/devcache/registryproxy/keys"
	"github.com/devcache/devcache/registryproxy/pushrecord"
	"github.com/devcache/devcache/registryproxy/service"
)

func newGCCommand() *cobra.Command {
	var f configFlags
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Delete expired images from the backing registry",
		Long: `gc reads the push records and deletes every image older than cache.expiry.
It is safe to run from several replicas at once. With the embedded backend,
run it on the host that owns the state directory (it opens the same storage);
blob space is reclaimed by the registry's own garbage collection.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			kf, err := keys.LoadOrCreate(cfg.Auth.KeysFile)
			if err != nil {
				return err
			}
			quietDistribution(cmd)
			be, err := service.NewBackend(cmd.Context(), cfg, kf, true)
			if err != nil {
				return err
			}
			defer be.Close()
			layout, err := cfg.Layout()
			if err != nil {
				return err
			}
			rep, err := gc.Sweep(cmd.Context(), pushrecord.NewStore(be, layout.Meta), be, layout.Namer, cfg.Expiry(), time.Now())
			if err != nil {
				return err
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(rep)
		},
	}
	f.register(cmd, false)
	return cmd
}
