package imagecache

import (
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
)

// TestLazyPrefetch: the first lazy environment's command is recorded
// (fanotify) and its files stored with the image (<key>-prefetch); a later
// lazy start on another fresh host is given the list and reads those files
// ahead of the environment, without a container asking for them.
func TestLazyPrefetch(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(map[string]string{".devcontainer/hello/install.sh": blobInstall})
	cold := e.runner("cold")
	_, err := cold.get(t, ws, "prefetch", contract.PurposeCreate)
	require.NoError(t, err, cold.logs.String())

	first := e.onHost("first", e.freshHost(filepath.Join(shortDir(t), "a")), true)
	hit, err := first.get(t, ws, "prefetch", contract.PurposeCreate)
	require.NoError(t, err, first.logs.String())
	require.Empty(t, hit.Pull.Prefetch, "no list yet")
	fs, err := first.cache.Runtime.(*imagecache.Containerd).RecordFirstStart(t.Context(), hit.Image, []string{"sh", "-c", "cat /etc/greeting /opt-blob | wc -c"})
	require.NoError(t, err, "%s", fs.Output)
	assert.Equal(t, "33554435", strings.TrimSpace(string(fs.Output)))
	require.True(t, slices.Contains(fs.Files, "/opt-blob"), "%v", fs.Files)
	require.True(t, slices.Contains(fs.Files, "/etc/greeting"), "%v", fs.Files)
	list, err := first.cache.SavePrefetch(t.Context(), "prefetch", hit.Image, fs.Files)
	require.NoError(t, err)

	host := e.freshHost(filepath.Join(shortDir(t), "b"))
	later := e.onHost("later", host, true)
	hit, err = later.get(t, ws, "prefetch", contract.PurposeCreate)
	require.NoError(t, err, later.logs.String())
	require.Equal(t, imagecache.PullLazy, hit.Pull.Mode)
	require.Equal(t, list, hit.Pull.Prefetch)

	// The snapshotter reads the listed files of each layer by itself.
	// The layer holding /opt-blob also holds /etc/greeting, so its line
	// reports at least the blob's 32 MiB.
	require.Eventually(t, func() bool {
		return prefetchedBytes(host.Plugin.Log()) >= 32<<20
	}, time.Minute, 200*time.Millisecond, "the blob was prefetched")
	t.Logf("prefetched: %d bytes in one layer", prefetchedBytes(host.Plugin.Log()))
	out, err := later.run(t, hit.Image, "cat", "/etc/greeting")
	require.NoError(t, err)
	assert.Equal(t, "hi", strings.TrimSpace(out))
}

var prefetchedLine = regexp.MustCompile(`prefetched the listed files .* bytes=(\d+)`)

// prefetchedBytes returns the most bytes one layer's prefetch reported in
// the snapshotter's log.
func prefetchedBytes(log string) int64 {
	var most int64
	for _, m := range prefetchedLine.FindAllStringSubmatch(log, -1) {
		if n, err := strconv.ParseInt(m[1], 10, 64); err == nil && n > most {
			most = n
		}
	}
	return most
}
