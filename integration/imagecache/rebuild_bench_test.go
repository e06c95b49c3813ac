package imagecache

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
)

// BenchmarkRebuild measures, in one run, a cold build of
// examples/devcontainer-large on a fresh runner host, then a rebuild after
// a lifecycle-command edit and one after adding a Feature, each on another
// fresh host (empty BuildKit cache) that can only reuse steps through the
// project's cache. It reports the ratios the issue sets targets for:
// lifecycle-edit/cold (<= 0.10) and (added-Feature - its install)/cold (<= 0.25).
func BenchmarkRebuild(b *testing.B) {
	s := testenvGet(b)
	for b.Loop() {
		e, ws, lookup := benchSetup(b, s)
		get := func() *imagecache.Result {
			r := e.freshRunnerTB(b)
			r.cache.LookupEnv = lookup
			res, err := r.get(b, ws, "bench", contract.PurposeCreate)
			require.NoError(b, err, r.logs.String())
			require.Equal(b, imagecache.OutcomeMiss, res.Outcome)
			return res
		}
		cfg := filepath.Join(ws, ".devcontainer", "devcontainer.json")
		edit := func(old, new string) {
			dt, err := os.ReadFile(cfg)
			require.NoError(b, err)
			require.Contains(b, string(dt), old)
			require.NoError(b, os.WriteFile(cfg, []byte(strings.Replace(string(dt), old, new, 1)), 0o644))
		}

		t0 := time.Now()
		get()
		cold := time.Since(t0)

		edit(`"postCreateCommand": "gcc --version"`, `"postCreateCommand": "gcc --version && make --version"`)
		t1 := time.Now()
		lifecycle := get()
		lifecycleTime := time.Since(t1)

		// One more Feature: the motd Feature again, under another name.
		require.NoError(b, exec.Command("cp", "-a", filepath.Join(ws, ".devcontainer", "features", "motd"), filepath.Join(ws, ".devcontainer", "features", "motd2")).Run())
		edit(`"./features/motd": { "message": "built by devcache" },`, `"./features/motd": { "message": "built by devcache" }, "./features/motd2": { "message": "again" },`)
		t2 := time.Now()
		added := get()
		addedTime := time.Since(t2)

		b.ReportMetric(cold.Seconds(), "cold-s")
		b.ReportMetric(lifecycleTime.Seconds(), "lifecycle-edit-s")
		b.ReportMetric(lifecycleTime.Seconds()/cold.Seconds(), "lifecycle/cold")
		b.ReportMetric(float64(lifecycle.StepsRun), "lifecycle-steps-run")
		b.ReportMetric(addedTime.Seconds(), "added-feature-s")
		b.ReportMetric(addedTime.Seconds()/cold.Seconds(), "added/cold")
		b.ReportMetric(float64(added.StepsRun), "added-steps-run")
	}
}
