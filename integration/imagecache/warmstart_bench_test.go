package imagecache

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/integration/testenv"
)

// BenchmarkWarmStart measures, in one run, what a runner host spends to get
// examples/devcontainer-large's image into containerd: cold on a fresh host
// (its own empty buildkitd: build, push, import) and warm on another (key,
// lookup, pull of the cached image). Target: warm at least 10x faster than
// a cold build of 60 s or more.
func BenchmarkWarmStart(b *testing.B) {
	s := testenvGet(b)
	for b.Loop() {
		e, ws, lookup := benchSetup(b, s)

		cold := e.freshRunnerTB(b)
		cold.cache.Runtime = e.runner("cold").cache.Runtime
		cold.cache.LookupEnv = lookup
		t0 := time.Now()
		res, err := cold.get(b, ws, "bench", imagecache.PurposeCreate)
		coldTime := time.Since(t0)
		require.NoError(b, err, cold.logs.String())
		require.Equal(b, imagecache.OutcomeMiss, res.Outcome)

		warm := e.runner("warm")
		warm.cache.LookupEnv = lookup
		t1 := time.Now()
		hit, err := warm.get(b, ws, "bench", imagecache.PurposeCreate)
		warmTime := time.Since(t1)
		require.NoError(b, err, warm.logs.String())
		require.Equal(b, imagecache.OutcomeHit, hit.Outcome)

		size, err := (&imagecache.OCIRegistry{}).Lookup(b.Context(), hit.Image, mustIssue(b, e))
		require.NoError(b, err)
		b.ReportMetric(coldTime.Seconds(), "cold-s")
		b.ReportMetric(warmTime.Seconds(), "warm-s")
		b.ReportMetric(coldTime.Seconds()/warmTime.Seconds(), "cold/warm")
		b.ReportMetric(float64(size.Size)/(1<<20), "image-MiB-compressed")
	}
}

func mustIssue(b *testing.B, e *env) *imagecache.HostCredentials {
	b.Helper()
	c, err := e.proxy.Issue(b.Context(), "bench", imagecache.PurposeRebuild)
	require.NoError(b, err)
	return c
}

// benchSetup gives a benchmark a fresh proxy and a copy of
// examples/devcontainer-large, with the lookup of ${localEnv:…} that points
// the workspace at the stack's registry.
func benchSetup(b *testing.B, s *testenv.Stack) (*env, string, func(string) (string, bool)) {
	b.Helper()
	e := &env{t: b, s: s, proxy: startProxy(b)}
	ws := b.TempDir()
	require.NoError(b, exec.Command("cp", "-a", filepath.Join(s.RepoRoot, "examples", "devcontainer-large")+"/.", ws).Run())
	lookup := func(n string) (string, bool) {
		if n == "DEVCACHE_REGISTRY" {
			return s.Registry, true
		}
		return os.LookupEnv(n)
	}
	return e, ws, lookup
}
