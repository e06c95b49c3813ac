package imagecache

import (
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/contract"
)

// TestSnapshotterMetrics scrapes devcache-snapshotter's --metrics-address
// on a fresh runner host around a real lazy restore: the restores by mode,
// stargz's mount and registry-fetch latencies and the bytes fetched lazily
// move, and no series carries a layer digest.
func TestSnapshotterMetrics(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(nil)
	cold := e.runner("cold")
	res, err := cold.get(t, ws, "smetrics", contract.PurposeCreate)
	require.NoError(t, err, cold.logs.String())
	require.True(t, res.Pushed)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	host := e.freshHost(filepath.Join(shortDir(t), "h"), "--metrics-address", addr)
	url := "http://" + addr + "/metrics"
	require.Eventually(t, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 100*time.Millisecond, "the metrics address answers")
	before := testenv.Scrape(t, url)
	assert.True(t, before.Has("devcache_snapshotter_restores_total"), "known series are there before any restore")
	assert.Equal(t, 0.0, before.Value("devcache_snapshotter_restores_total"))
	assert.True(t, before.Has("devcache_snapshotter_prefetch_lists_total"))

	warm := e.onHost("warm", host, true)
	hit, err := warm.get(t, ws, "smetrics", contract.PurposeCreate)
	require.NoError(t, err, warm.logs.String()+host.Plugin.Log())
	require.Equal(t, imagecache.OutcomeHit, hit.Outcome)
	require.Equal(t, imagecache.PullLazy, hit.Pull.Mode, "%+v", hit.Pull.Layers)
	out, err := warm.run(t, hit.Image, "cat", "/etc/greeting")
	require.NoError(t, err, host.Plugin.Log())
	require.Equal(t, "hi", strings.TrimSpace(out))

	after := testenv.Scrape(t, url)
	layers := float64(len(hit.Pull.Layers))
	assert.Equal(t, layers, after.Value("devcache_snapshotter_restores_total", "mode", "lazy"), "one lazy restore per layer")
	assert.Equal(t, 0.0, after.Value("devcache_snapshotter_restores_total", "mode", "full"))
	assert.Equal(t, layers, after.Value("devcache_snapshotter_restore_duration_seconds", "mode", "lazy"))
	assert.Equal(t, layers, after.Value("stargz_fs_operation_duration_milliseconds", "operation_type", "mount"), "stargz's mount latency, summed over layers")
	assert.Positive(t, after.Value("stargz_fs_operation_duration_milliseconds", "operation_type", "remote_registry_get"), "registry fetch latency")
	assert.Positive(t, after.Value("stargz_fs_layer_fetched_size_bytes"), "bytes fetched lazily")
	assert.Positive(t, after.Value("stargz_fs_bytes_served", "operation_type", "on_demand_bytes_served"), "the command's reads were served")

	for name, fam := range after {
		for _, s := range fam.GetMetric() {
			for _, lp := range s.GetLabel() {
				assert.NotContains(t, []string{"layer", "digest", "mountpoint"}, lp.GetName(), "%s: no per-layer series", name)
				assert.NotContains(t, lp.GetValue(), "sha256:", "%s: no digest labels", name)
			}
		}
	}
}
