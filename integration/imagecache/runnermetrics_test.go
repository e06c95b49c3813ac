package imagecache

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

// TestRunnerMetricsFile runs the devcache binary as a runner host does,
// with --metrics-file: a miss that is built and pushed, a hit of the same
// key on a second runner namespace, a --skip-image-cache bypass and a
// configuration error. Each run adds to the one textfile, which node_exporter's
// textfile collector would read: the outcome series move by exactly one
// run each, the saved seconds and the build and pull durations move with
// them, and no label carries a digest or the project.
func TestRunnerMetricsFile(t *testing.T) {
	c := newCLI(t)
	e := newEnv(t)
	ws := e.workspace(nil)
	project := fmt.Sprintf("metrics-%d", time.Now().UnixNano())
	file := filepath.Join(t.TempDir(), "devcache.prom")
	mf := []string{"--metrics-file", file}

	miss := c.build(t, ws, project, mf...)
	require.Equal(t, 0, miss.exit, miss.stderr)
	require.Equal(t, "miss", string(miss.res.Outcome))
	require.True(t, miss.res.Pushed)
	m := testenv.ReadMetricsFile(t, file)
	assert.Equal(t, 1.0, m.Value("devcache_build_outcomes_total", "outcome", "miss", "reason", ""))
	assert.Equal(t, 0.0, m.Value("devcache_build_outcomes_total", "outcome", "hit"), "known series start at 0")
	assert.True(t, m.Has("devcache_build_outcomes_total"))
	assert.Equal(t, 1.0, m.Value("devcache_build_duration_seconds"), "one build observed")
	assert.InDelta(t, miss.res.BuildSeconds, m.Sum("devcache_build_duration_seconds"), 0.001)
	assert.Equal(t, 0.0, m.Value("devcache_build_pull_duration_seconds"))
	assert.Positive(t, m.Value("devcache_build_last_run_timestamp_seconds"))

	// The same key again, into an empty namespace: a hit, pulled.
	cleanNamespace(c.cc, c.ns)
	hit := c.build(t, ws, project, mf...)
	require.Equal(t, 0, hit.exit, hit.stderr)
	require.Equal(t, "hit", string(hit.res.Outcome))
	require.Positive(t, hit.res.SavedSeconds)
	m = testenv.ReadMetricsFile(t, file)
	assert.Equal(t, 1.0, m.Value("devcache_build_outcomes_total", "outcome", "hit", "reason", ""))
	assert.Equal(t, 1.0, m.Value("devcache_build_outcomes_total", "outcome", "miss", "reason", ""), "the miss is still counted")
	assert.InDelta(t, hit.res.SavedSeconds, m.Value("devcache_build_saved_seconds_total"), 0.001)
	assert.Equal(t, 1.0, m.Value("devcache_build_pull_duration_seconds"), "one pull observed")
	assert.InDelta(t, hit.res.Phases["pull"], m.Sum("devcache_build_pull_duration_seconds"), 0.001)
	assert.Equal(t, 1.0, m.Value("devcache_build_duration_seconds"), "a hit builds nothing")

	bypass := c.build(t, ws, project, append(mf, "--skip-image-cache")...)
	require.Equal(t, 0, bypass.exit, bypass.stderr)
	require.Equal(t, "bypass", string(bypass.res.Outcome))
	require.Equal(t, "skipped", string(bypass.res.ReasonCode))
	m = testenv.ReadMetricsFile(t, file)
	assert.Equal(t, 1.0, m.Value("devcache_build_outcomes_total", "outcome", "bypass", "reason", "skipped"))
	assert.Equal(t, 0.0, m.Value("devcache_build_outcomes_total", "outcome", "bypass", "reason", "no_project"))
	assert.Equal(t, 2.0, m.Value("devcache_build_duration_seconds"), "the bypass built")

	write(t, ws, map[string]string{".devcontainer/devcontainer.json": "{\n  \"image\": 3\n}\n"})
	bad := c.build(t, ws, project, mf...)
	require.Equal(t, 3, bad.exit, bad.stderr)
	m = testenv.ReadMetricsFile(t, file)
	assert.Equal(t, 1.0, m.Value("devcache_build_outcomes_total", "outcome", "error", "reason", "key"))
	assert.Equal(t, 4.0, m.Value("devcache_build_outcomes_total"), "four runs, each counted once")

	for name, fam := range m {
		for _, s := range fam.GetMetric() {
			for _, l := range s.GetLabel() {
				assert.NotContains(t, l.GetValue(), "sha256:", "%s: no digest labels", name)
				assert.False(t, strings.Contains(l.GetValue(), project), "%s: no project label", name)
			}
		}
	}
}
