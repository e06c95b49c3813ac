package imagecache

import (
	"path/filepath"
	"slices"
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
	// Known failure (issue 14, item 3): on the later host the prefetch of the
	// layer holding /opt-blob never logs its end within the minute (the other
	// five layers' prefetches end in 0.1 s); not understood yet.
	t.Skip("issue 14: the blob layer's prefetch does not complete; see docs/imagecache.md, known problems")
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
	require.Eventually(t, func() bool {
		return strings.Contains(host.Plugin.Log(), "bytes=33554432")
	}, time.Minute, 200*time.Millisecond, "the blob was prefetched: %s", host.Plugin.Log())
	out, err := later.run(t, hit.Image, "cat", "/etc/greeting")
	require.NoError(t, err)
	assert.Equal(t, "hi", strings.TrimSpace(out))
}
