//go:build linux

package overlay_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/core/snapshots/proxy"
	"github.com/containerd/containerd/v2/core/snapshots/testsuite"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/devcache/devcache/snapshotter/overlay"
	"github.com/devcache/devcache/snapshotter/server"
)

// requiresRoot skips tests that mount. They need no daemons, so they run
// under -short too (make test runs as root); unprivileged runs skip them.
func requiresRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (mounts overlayfs)")
	}
}

// TestSuite runs containerd's snapshotter conformance suite in-process.
// The name "overlayfs" tells the suite not to rename lower-layer directories
// (EXDEV without redirect_dir, as on this kernel).
func TestSuite(t *testing.T) {
	requiresRoot(t)
	testsuite.SnapshotterSuite(t, "overlayfs", func(ctx context.Context, root string) (snapshots.Snapshotter, func() error, error) {
		sn, err := overlay.New(ctx, root)
		if err != nil {
			return nil, nil, err
		}
		return sn, sn.Close, nil
	})
}

// TestSuiteOverGRPC runs the suite through containerd's proxy client against
// our gRPC server on a unix socket: the path containerd takes for a
// [proxy_plugins] snapshotter, with mounts serialized through the proto.
func TestSuiteOverGRPC(t *testing.T) {
	requiresRoot(t)
	testsuite.SnapshotterSuite(t, "overlayfs", func(ctx context.Context, root string) (snapshots.Snapshotter, func() error, error) {
		sn, err := overlay.New(ctx, filepath.Join(root, "data"))
		if err != nil {
			return nil, nil, err
		}
		l, err := server.Listen(filepath.Join(root, "s.sock"))
		if err != nil {
			return nil, nil, err
		}
		sctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- server.Serve(sctx, l, sn, 5*time.Second) }()
		conn, err := grpc.NewClient("unix://"+l.Addr().String(),
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", l.Addr().String())
			}))
		if err != nil {
			cancel()
			return nil, nil, err
		}
		client := proxy.NewSnapshotter(snapshotsapi.NewSnapshotsClient(conn), "devcache")
		return client, func() error {
			cerr := client.Close()
			conn.Close()
			cancel()
			if err := <-served; err != nil {
				return err
			}
			if cerr != nil {
				return cerr
			}
			return sn.Close()
		}, nil
	})
}
