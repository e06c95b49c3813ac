package main

import (
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/registryproxy/service"
)

func newServeCommand() *cobra.Command {
	var f configFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the registry proxy, its token endpoint and the admin endpoint",
		Long: `serve runs the proxy. With no configuration it stores images in an embedded
registry under --state-dir and listens on 127.0.0.1:5000; --addr and
--state-dir override the configuration file's values. SIGTERM drains.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			quietDistribution(cmd)
			svc, err := service.New(ctx, cfg)
			if err != nil {
				return err
			}
			defer svc.Close()
			log.G(ctx).Info("devcache-proxy starting", "state_dir", cfg.Server.StateDir, "backend", cfg.Backend.Type, "cache_enabled", cfg.CacheEnabled())
			return svc.Run(ctx)
		},
	}
	f.register(cmd, true)
	return cmd
}

// quietDistribution keeps the embedded backend's (distribution's) records
// out of the log below --log-level debug: it logs every 404 as an error,
// and the proxy logs each request and its own failures already. At debug
// they are in the one stream with the proxy's (internal/log.RouteLogrus).
func quietDistribution(cmd *cobra.Command) {
	if f := cmd.Flag("log-level"); f != nil && f.Value.String() != "debug" {
		logrus.SetLevel(logrus.FatalLevel)
	}
}
