package snapshotter

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/core/snapshots/proxy"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/devcache/devcache/integration/testenv"
)

// TestCaptureBySnapshotKey captures through the plugin's own socket, by the
// active snapshot key the plugin knows (containerd prefixes it with the
// namespace and an id), with no containerd client involved.
func TestCaptureBySnapshotKey(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	a := newEnv(t, s, filepath.Join(t.TempDir(), "a"))
	a.ctr(t, ctx, "image", "pull", "--plain-http", "--snapshotter", "devcache", s.BusyboxImage())
	a.ctr(t, ctx, "run", "--snapshotter", "devcache", s.BusyboxImage(), "bykey", "sh", "-c", "echo by-key > /key.txt")
	t.Cleanup(func() { _, _ = a.ctrErr(context.Background(), "container", "rm", "bykey") })

	conn, err := grpc.NewClient("unix://"+a.pluginSock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	var key string
	require.NoError(t, proxy.NewSnapshotter(snapshotsapi.NewSnapshotsClient(conn), "devcache").Walk(ctx,
		func(_ context.Context, info snapshots.Info) error {
			if strings.HasSuffix(info.Name, "/bykey") {
				key = info.Name
			}
			return nil
		}, "kind==active"))
	require.NotEmpty(t, key, "the container's active snapshot is not in the plugin")

	target := s.Registry + "/" + project(t) + ":bykey"
	cmd := exec.CommandContext(ctx, pluginBin, "capture", "--address", a.pluginSock, "--snapshot-key", key,
		"--base", s.BusyboxImage(), "--target", target, "--insecure", "--tmpdir", a.dir)
	cmd.Env = s.Env()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "by-key\n", imageFile(t, target, "key.txt"))
}
