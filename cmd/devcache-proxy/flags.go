package main

import (
	"github.com/spf13/cobra"

	"github.com/devcache/devcache/registryproxy/config"
)

// configFlags are the flags every subcommand shares.
type configFlags struct {
	config   string
	stateDir string
	addr     string
	debug    string
}

func (f *configFlags) register(cmd *cobra.Command, listeners bool) {
	cmd.Flags().StringVar(&f.config, "config", "", "TOML configuration file (version = 1)")
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "", "state directory (keys, embedded registry); overrides server.state_dir")
	if listeners {
		cmd.Flags().StringVar(&f.addr, "addr", "", "registry listener HOST:PORT; overrides server.addr")
		cmd.Flags().StringVar(&f.debug, "debug-addr", "", "debug listener HOST:PORT (metrics, health, readiness, pprof); overrides server.debug_addr")
	}
}

func (f *configFlags) load() (*config.Config, error) {
	cfg := config.Default()
	if f.config != "" {
		c, err := config.Load(f.config)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	if f.stateDir != "" {
		if cfg.Server.AdminAddr == "unix:"+cfg.Server.StateDir+"/admin.sock" || f.config == "" {
			cfg.Server.AdminAddr = ""
		}
		if cfg.Auth.KeysFile == cfg.Server.StateDir+"/keys.json" || f.config == "" {
			cfg.Auth.KeysFile = ""
		}
		cfg.Server.StateDir = f.stateDir
	}
	if f.addr != "" {
		cfg.Server.Addr = f.addr
	}
	if f.debug != "" {
		cfg.Server.DebugAddr = f.debug
	}
	return cfg, cfg.Finish()
}
