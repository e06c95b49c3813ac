package snapshotter

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

// bigSetup leaves a small file the first command reads and 24 MiB of
// incompressible data it does not.
const bigSetup = `set -e
echo ready > /ready.txt
mkdir -p /opt/toolchain
dd if=/dev/urandom of=/opt/toolchain/blob bs=1M count=24 2>/dev/null
`

// newBigPrebuild captures a busybox container after bigSetup and returns
// the repository path and the prebuild layers' total size.
func newBigPrebuild(t *testing.T, ctx context.Context, s *testenv.Stack, dir string) (repo string, size int64, a *env) {
	t.Helper()
	a = newEnv(t, s, dir)
	a.ctr(t, ctx, "image", "pull", "--plain-http", "--snapshotter", "devcache", s.BusyboxImage())
	a.ctr(t, ctx, "run", "--snapshotter", "devcache", s.BusyboxImage(), "big", "sh", "-c", bigSetup)
	repo = project(t)
	res, err := a.capture(t, ctx, "big", s.Registry+"/"+repo+":v1")
	require.NoError(t, err)
	for _, l := range res["layers"].([]any) {
		size += int64(l.(map[string]any)["size"].(float64))
	}
	return repo, size, a
}

// TestRestoreBeforeDownloadFinishes: with the registry throttled to 2 MiB/s,
// the restored container's first command runs long before its 24 MiB layer
// could have been downloaded.
func TestRestoreBeforeDownloadFinishes(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	repo, size, a := newBigPrebuild(t, ctx, s, filepath.Join(dir, "a"))
	a.ctr(t, ctx, "container", "rm", "big")
	a.stop(t)

	const rate = 2 << 20
	th := newThrottle(t, s.Registry, rate)
	b := newEnv(t, s, filepath.Join(dir, "b"), "--insecure-registry", th.host)
	ref := th.host + "/" + repo + ":v1"
	start := time.Now()
	b.ctr(t, ctx, "image", "pull", "--plain-http", "--snapshotter", "devcache", ref)
	out := b.ctr(t, ctx, "run", "--rm", "--snapshotter", "devcache", ref, "first", "cat", "/ready.txt")
	elapsed, fetched := time.Since(start), th.downloaded.Load()
	require.Equal(t, "ready", strings.TrimSpace(out))
	download := time.Duration(size * int64(time.Second) / rate)
	t.Logf("first command after %v; downloading the %d bytes of prebuild layers takes %v at %d B/s; %d bytes fetched by then",
		elapsed.Round(time.Millisecond), size, download, rate, fetched)
	require.Less(t, elapsed, download/2, "the first command waited for the download")
	require.Less(t, fetched, size, "the whole prebuild was downloaded before the first command")
}
