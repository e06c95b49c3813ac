package imagecache

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
)

// TestSnapshotterRestartUnderLazyContainer restarts devcache-snapshotter
// while a lazily started environment runs. What survives (docs/snapshotter.md):
// the snapshots, their metadata and the fetched cache; the restarted plugin
// mounts the layers again, so new containers of the image start and read
// it. The running container's root filesystem still points at the FUSE
// connections of the stopped process: its reads of lower-layer files fail
// with an error (never wrong bytes) until it is restarted.
func TestSnapshotterRestartUnderLazyContainer(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(map[string]string{".devcontainer/hello/install.sh": blobInstall})
	cold := e.runner("cold")
	_, err := cold.get(t, ws, "restart", contract.PurposeCreate)
	require.NoError(t, err, cold.logs.String())

	host := e.freshHost(filepath.Join(shortDir(t), "h"))
	warm := e.onHost("warm", host, true)
	hit, err := warm.get(t, ws, "restart", contract.PurposeCreate)
	require.NoError(t, err, warm.logs.String()+host.Plugin.Log())
	require.Equal(t, imagecache.PullLazy, hit.Pull.Mode)

	type result struct {
		out string
		err error
	}
	running := make(chan result, 1)
	go func() {
		out, err := warm.run(t, hit.Image, "sh", "-c", "cat /etc/greeting; sleep 8; cat /etc/greeting; head -c 1000 /opt-blob | wc -c")
		running <- result{out, err}
	}()
	time.Sleep(3 * time.Second)
	host.Plugin.Stop(t, syscall.SIGTERM)
	host.StartPlugin(t)

	// New containers of the image start and read it.
	out, err := warm.run(t, hit.Image, "sh", "-c", "cat /etc/greeting; head -c 1000 /opt-blob | wc -c")
	require.NoError(t, err, host.Plugin.Log())
	assert.Equal(t, "hi\n1000", strings.TrimSpace(out))

	var old result
	select {
	case old = <-running:
	case <-time.After(2 * time.Minute):
		t.Fatal("the running container hung after the snapshotter restart")
	}
	t.Logf("the container that ran across the restart: err=%v\n%s", old.err, old.out)
	assert.True(t, strings.HasPrefix(old.out, "hi\n"), "it ran before the restart: %q", old.out)
	assert.NotContains(t, strings.TrimPrefix(old.out, "hi\n"), "hi\n1000", "its lower layers are gone with the old FUSE connections")
}
