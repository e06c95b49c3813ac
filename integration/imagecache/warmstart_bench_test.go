package imagecache

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/contract"
)

// BenchmarkWarmStart measures, in one run and each on a fresh runner host
// (testenv.FreshHost: its own containerd with an empty content store, its
// own devcache-snapshotter), the time from "the runner asks" to the first
// command's output in the environment:
//
//   - cold: a fresh buildkitd builds, pushes (eStargz) and imports;
//   - cold-zstd: the same build with --layer-compression zstd (cost and
//     size of the lazy format);
//   - warm full: key, lookup, full pull into overlayfs, then the command;
//   - warm lazy: the same into devcache-snapshotter, started lazily;
//   - bare: `ctr images pull` + `ctr run` of the same image.
//
// The workspace is $DEVCACHE_BENCH_WORKSPACE (default
// examples/devcontainer-large; examples/devcontainer-huge for the 1 GiB
// figures) and the environment's own first command
// $DEVCACHE_BENCH_COMMAND (a shell command line, run with sh -c; default
// gcc --version), both measured besides a trivial first command (echo).
// Each warm host is stopped after its leg, so no background fetch competes
// with the next one. Targets: bare/lazy >= 5x and
// bare/warm-prefetch-cmd >= 3x on the huge image, warm-full/bare <= 1.1x,
// cold/cold-zstd <= 1.15x.
func BenchmarkWarmStart(b *testing.B) {
	s := testenvGet(b)
	workspace := envOr("DEVCACHE_BENCH_WORKSPACE", "examples/devcontainer-large")
	command := []string{"sh", "-c", envOr("DEVCACHE_BENCH_COMMAND", "gcc --version")}
	for b.Loop() {
		e, ws, lookup := benchSetupWorkspace(b, s, workspace)
		root := shortDir(b)

		coldTime, res := e.coldBuild(b, ws, lookup, "bench", "")
		zstdTime, zres := e.coldBuild(b, ws, lookup, "bench-zstd", imagecache.CompressionZstd)
		size := e.imageSize(b, "bench", res.Image)
		zsize := e.imageSize(b, "bench-zstd", zres.Image)

		// Warm, full pull: a fresh host without the lazy snapshotter.
		full := e.onHost("full", e.s.FreshHost(b, filepath.Join(root, "f"), snapshotterBin), false)
		fullTime, fullCmd, _ := full.warmStart(b, ws, lookup, "bench", command)
		full.host.Stop(b)

		// Warm, lazy: a fresh host with devcache-snapshotter.
		lazy := e.onHost("lazy", e.s.FreshHost(b, filepath.Join(root, "l"), snapshotterBin), true)
		lazyTime, lazyCmd, hit := lazy.warmStart(b, ws, lookup, "bench", command)
		require.Equal(b, imagecache.PullLazy, hit.Pull.Mode, "%+v", hit.Pull.Layers)

		// The first lazy environment records what its command reads and
		// stores it with the image; a later lazy start fetches that first.
		first, err := lazy.cache.Runtime.(*imagecache.Containerd).RecordFirstStart(b.Context(), hit.Image, command)
		require.NoError(b, err, "%s", first.Output)
		_, err = lazy.cache.SavePrefetch(b.Context(), "bench", hit.Image, first.Files)
		require.NoError(b, err)
		lazy.host.Stop(b)
		pre := e.onHost("prefetch", e.s.FreshHost(b, filepath.Join(root, "p"), snapshotterBin), true)
		preTime, preCmd := pre.warmCommand(b, ws, lookup, "bench", command)
		pre.host.Stop(b)

		// Bare: ctr images pull + ctr run of the same image on another fresh host.
		bare := e.s.FreshHost(b, filepath.Join(root, "b"), snapshotterBin)
		bareTime, bareCmd := e.bareStart(b, bare, hit.Image, command)

		b.ReportMetric(coldTime.Seconds(), "cold-s")
		b.ReportMetric(zstdTime.Seconds(), "cold-zstd-s")
		b.ReportMetric(coldTime.Seconds()/zstdTime.Seconds(), "cold-estargz/zstd")
		b.ReportMetric(float64(size)/(1<<20), "image-MiB-estargz")
		b.ReportMetric(float64(zsize)/(1<<20), "image-MiB-zstd")
		b.ReportMetric(float64(size)/float64(zsize), "size-estargz/zstd")
		b.ReportMetric(fullTime.Seconds(), "warm-full-s")
		b.ReportMetric(lazyTime.Seconds(), "warm-lazy-s")
		b.ReportMetric(bareTime.Seconds(), "bare-ctr-s")
		b.ReportMetric(fullCmd.Seconds(), "warm-full-cmd-s")
		b.ReportMetric(lazyCmd.Seconds(), "warm-lazy-cmd-s")
		b.ReportMetric(bareCmd.Seconds(), "bare-ctr-cmd-s")
		b.ReportMetric(preCmd.Seconds(), "warm-prefetch-cmd-s")
		b.ReportMetric(preTime.Seconds(), "warm-prefetch-pull-s")
		b.ReportMetric(float64(len(first.Files)), "prefetch-files")
		b.ReportMetric(bareCmd.Seconds()/preCmd.Seconds(), "bare/warm-prefetch-cmd")
		b.ReportMetric(coldTime.Seconds()/lazyTime.Seconds(), "cold/warm-lazy")
		b.ReportMetric(bareTime.Seconds()/lazyTime.Seconds(), "bare/warm-lazy")
		b.ReportMetric(bareCmd.Seconds()/lazyCmd.Seconds(), "bare/warm-lazy-cmd")
		b.ReportMetric(fullTime.Seconds()/bareTime.Seconds(), "warm-full/bare")
		b.ReportMetric(bareCmd.Seconds()/fullCmd.Seconds(), "bare/warm-full-cmd")
	}
}

// coldBuild builds the workspace on a fresh buildkitd and imports it into a
// fresh host's containerd (overlayfs), with compression ("" is the default).
func (e *env) coldBuild(b *testing.B, ws string, lookup func(string) (string, bool), project, compression string) (time.Duration, *imagecache.Result) {
	b.Helper()
	host := e.s.FreshHost(b, filepath.Join(shortDir(b), "c"), snapshotterBin)
	cold := e.freshRunnerTB(b)
	cold.cache.Builder.(*imagecache.BuildKit).Compression = compression
	cold.cache.Runtime = e.onHost("cold", host, false).cache.Runtime
	cold.cache.LookupEnv = lookup
	t0 := time.Now()
	res, err := cold.get(b, ws, project, contract.PurposeCreate)
	took := time.Since(t0)
	require.NoError(b, err, cold.logs.String())
	require.Equal(b, imagecache.OutcomeMiss, res.Outcome)
	require.True(b, res.Pushed)
	host.Stop(b)
	return took, res
}

// warmStart times a hit up to the output of a trivial first command (echo)
// and, in a second container, up to the output of the environment's own
// first command (counted from the ask, without the echo container).
func (r *freshRunner) warmStart(b *testing.B, ws string, lookup func(string) (string, bool), project string, command []string) (first, cmd time.Duration, hit *imagecache.Result) {
	b.Helper()
	r.cache.LookupEnv = lookup
	t0 := time.Now()
	hit, err := r.get(b, ws, project, contract.PurposeRebuild)
	require.NoError(b, err, r.logs.String())
	require.Equal(b, imagecache.OutcomeHit, hit.Outcome)
	pulled := time.Since(t0)
	out, err := r.run(b, hit.Image, "echo", "ready")
	first = time.Since(t0)
	require.NoError(b, err, r.host.Plugin.Log())
	require.Equal(b, "ready", strings.TrimSpace(out))
	t1 := time.Now()
	_, err = r.run(b, hit.Image, command...)
	require.NoError(b, err)
	return first, pulled + time.Since(t1), hit
}

// warmCommand times a hit up to the output of the environment's own first
// command (the first container of the host); pull is the hit's part.
func (r *freshRunner) warmCommand(b *testing.B, ws string, lookup func(string) (string, bool), project string, command []string) (pull, cmd time.Duration) {
	b.Helper()
	r.cache.LookupEnv = lookup
	t0 := time.Now()
	hit, err := r.get(b, ws, project, contract.PurposeRebuild)
	require.NoError(b, err, r.logs.String())
	require.Equal(b, imagecache.OutcomeHit, hit.Outcome)
	require.NotEmpty(b, hit.Pull.Prefetch, "the prefetch list was found")
	pull = time.Since(t0)
	_, err = r.run(b, hit.Image, command...)
	require.NoError(b, err, r.host.Plugin.Log())
	return pull, time.Since(t0)
}

// bareStart is the baseline: ctr images pull + ctr run on host, timed as
// warmStart is.
func (e *env) bareStart(b *testing.B, host *testenv.FreshHost, image string, command []string) (first, cmd time.Duration) {
	b.Helper()
	creds := mustIssue(b, e)
	ctx := b.Context()
	t0 := time.Now()
	_, err := host.Ctr(ctx, "bare", "images", "pull", "--plain-http", "--snapshotter", "overlayfs", "--user", creds.Username+":"+creds.Password, image)
	require.NoError(b, err)
	pulled := time.Since(t0)
	out, err := host.Ctr(ctx, "bare", "run", "--rm", "--snapshotter", "overlayfs", image, fmt.Sprintf("b-%d", time.Now().UnixNano()), "echo", "ready")
	first = time.Since(t0)
	require.NoError(b, err)
	require.Equal(b, "ready", strings.TrimSpace(out))
	t1 := time.Now()
	_, err = host.Ctr(ctx, "bare", append([]string{"run", "--rm", "--snapshotter", "overlayfs", image, fmt.Sprintf("b-%d", time.Now().UnixNano())}, command...)...)
	require.NoError(b, err)
	return first, pulled + time.Since(t1)
}

func (e *env) imageSize(b *testing.B, project, ref string) int64 {
	b.Helper()
	creds, err := e.proxy.Issue(b.Context(), project, contract.PurposeRebuild)
	require.NoError(b, err)
	img, err := (&imagecache.OCIRegistry{}).Lookup(b.Context(), ref, creds)
	require.NoError(b, err)
	return img.Size
}

func mustIssue(b *testing.B, e *env) *imagecache.HostCredentials {
	b.Helper()
	c, err := e.proxy.Issue(b.Context(), "bench", contract.PurposeRebuild)
	require.NoError(b, err)
	return c
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// benchSetup gives a benchmark a fresh proxy and a copy of
// examples/devcontainer-large, with the lookup of ${localEnv:…} that points
// the workspace at the stack's registry.
func benchSetup(b *testing.B, s *testenv.Stack) (*env, string, func(string) (string, bool)) {
	return benchSetupWorkspace(b, s, "examples/devcontainer-large")
}

// benchSetupWorkspace is benchSetup with a copy of another workspace.
func benchSetupWorkspace(b *testing.B, s *testenv.Stack, workspace string) (*env, string, func(string) (string, bool)) {
	b.Helper()
	// A build of the huge workspace outlives the default 15 min credential
	// and the tests' 5 min bound of a Get.
	e := &env{t: b, s: s, proxy: startProxyTTL(b, time.Hour), getTimeout: time.Hour}
	ws := b.TempDir()
	require.NoError(b, exec.Command("cp", "-a", filepath.Join(s.RepoRoot, workspace)+"/.", ws).Run())
	lookup := func(n string) (string, bool) {
		if n == "DEVCACHE_REGISTRY" {
			return s.Registry, true
		}
		return os.LookupEnv(n)
	}
	return e, ws, lookup
}
