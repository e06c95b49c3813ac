package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/v2/contrib/snapshotservice"
	"github.com/containerd/containerd/v2/core/snapshots"
	"google.golang.org/grpc"

	"github.com/devcache/devcache/internal/log"
)

// Listen creates the unix socket at address (replacing a stale one left by a
// crashed process) with mode 0600.
func Listen(address string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(address), 0o700); err != nil {
		return nil, err
	}
	if err := os.Remove(address); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("removing stale socket: %w", err)
	}
	l, err := net.Listen("unix", address)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(address, 0o600); err != nil {
		return nil, errors.Join(err, l.Close())
	}
	return l, nil
}

// Serve serves sn on l until ctx is cancelled (telling systemd READY=1 once
// serving and STOPPING=1 when draining), then stops accepting calls
// and waits up to drain for running calls (List streams, long Prepares) to
// finish before closing the connections.
func Serve(ctx context.Context, l net.Listener, sn snapshots.Snapshotter, drain time.Duration) error {
	rpc := grpc.NewServer()
	snapshotsapi.RegisterSnapshotsServer(rpc, snapshotservice.FromSnapshotter(sn))
	errc := make(chan error, 1)
	go func() { errc <- rpc.Serve(l) }()
	log.G(ctx).Info("serving snapshots API", "address", l.Addr().String())
	if err := Notify("READY=1"); err != nil {
		log.G(ctx).Warn("failed to notify systemd", "error", err)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.G(ctx).Info("draining", "timeout", drain)
	_ = Notify("STOPPING=1")
	stopped := make(chan struct{})
	go func() { rpc.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(drain):
		log.G(ctx).Warn("drain timed out, closing connections")
		rpc.Stop()
	}
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}
