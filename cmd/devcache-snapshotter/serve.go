package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/internal/metrics"
	"github.com/devcache/devcache/snapshotter"
	smetrics "github.com/devcache/devcache/snapshotter/metrics"
	"github.com/devcache/devcache/snapshotter/overlay"
	"github.com/devcache/devcache/snapshotter/restore"
	"github.com/devcache/devcache/snapshotter/server"
)

type serveOptions struct {
	root, address string
	restore       string
	insecure      []string
	drain         time.Duration
	metricsAddr   string
}

func (o *serveOptions) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.root, "root", "/var/lib/devcache-snapshotter", "directory holding snapshots and metadata")
	f.StringVar(&o.address, "address", "/run/devcache-snapshotter/devcache-snapshotter.sock", "unix socket to serve containerd's snapshots API on")
	f.StringVar(&o.restore, "restore", "auto", "how prebuild (eStargz) layers are restored: auto (lazy when FUSE and range requests work, else full), lazy, full, or off (containerd pulls them)")
	f.StringSliceVar(&o.insecure, "insecure-registry", nil, "registry host[:port] to reach over plain HTTP when restoring (repeatable)")
	f.DurationVar(&o.drain, "drain-timeout", 10*time.Second, "how long to wait for running calls on shutdown")
	f.StringVar(&o.metricsAddr, "metrics-address", "", "host:port to serve Prometheus /metrics on (restores, prefetches, stargz's lazy fetches; docs/snapshotter.md); empty: off")
}

func serve(ctx context.Context, o serveOptions) (err error) {
	var m *smetrics.Metrics
	if o.metricsAddr != "" {
		reg := metrics.NewRegistry()
		m = smetrics.New(reg)
		stop, err := serveMetrics(ctx, o.metricsAddr, prometheus.Gatherers{reg, smetrics.StargzGatherer(prometheus.DefaultGatherer)})
		if err != nil {
			return err
		}
		defer stop()
	}
	rfs, err := newRemoteFS(ctx, o, m)
	if err != nil {
		return err
	}
	if rfs != nil && m != nil {
		rfs = smetrics.Instrument(rfs, m)
	}
	var opts []overlay.Opt
	if rfs != nil {
		opts = append(opts, overlay.WithRemoteFS(rfs))
	}
	sn, err := overlay.New(ctx, o.root, opts...)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, sn.Close()) }()
	l, err := server.Listen(o.address)
	if err != nil {
		return err
	}
	return server.Serve(ctx, l, sn, o.drain)
}

// newRemoteFS builds the restorer --restore names (nil for off).
func newRemoteFS(ctx context.Context, o serveOptions, m *smetrics.Metrics) (snapshotter.RemoteFS, error) {
	ropts := []restore.Opt{restore.WithInsecureRegistries(o.insecure...), restore.WithMetrics(m)}
	lazyRoot := filepath.Join(o.root, "stargz")
	lazyConfig := restore.DefaultLazyConfig()
	// stargz registers its filesystem series on Prometheus's default
	// registry; smetrics.StargzGatherer serves them without the layer label.
	lazyConfig.NoPrometheus = m == nil
	switch o.restore {
	case "off":
		return nil, nil
	case "full":
		return restore.NewFull(ropts...), nil
	case "lazy":
		return restore.NewLazy(lazyRoot, lazyConfig, ropts...)
	case "auto":
		var lazy *restore.Lazy
		if err := restore.FUSEAvailable(); err != nil {
			log.G(ctx).Warn("FUSE unavailable, prebuilds will be restored fully", "error", err)
		} else if lazy, err = restore.NewLazy(lazyRoot, lazyConfig, ropts...); err != nil {
			return nil, err
		}
		return restore.NewAuto(lazy, restore.NewFull(ropts...), ropts...), nil
	default:
		return nil, fmt.Errorf("invalid --restore %q: want auto, lazy, full or off", o.restore)
	}
}
