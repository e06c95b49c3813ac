package prebuild

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/environment"
	"github.com/devcache/devcache/prebuild/runner"
)

// TestBenchPrebuild measures the time to the first command in a new
// environment, from scratch vs from a prebuild, for a setup of
// DEVCACHE_BENCH_PREBUILD_SETUP seconds (hack/bench-prebuild: 60, or 10
// with --quick). The setup writes ~2,000 files and 16 MiB into the rootfs
// and the workspace, then waits out the rest of the time (standing in for
// downloads and compiles). Both starts run on fresh runner hosts (own
// containerd + plugin, nothing cached); the image step is a pull of an
// image already in the registry for both (no Dev Container build, which
// would only lengthen the start from scratch).
func TestBenchPrebuild(t *testing.T) {
	secs := benchSetupSeconds(t)
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(3*secs)*time.Second+5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	project := projectName(t)
	setup := benchSetup(secs, "node_modules", `dd if=/dev/urandom of=/opt/sdk/blob bs=1M count=16 2>/dev/null
echo ready > /opt/sdk/READY`)
	js := fmt.Sprintf(`{"image": "busybox", "onCreateCommand": %q, "updateContentCommand": "test -f /opt/sdk/READY", "postCreateCommand": "cat /opt/sdk/READY"}`, setup)
	ws, cfg := newProject(t, js, nil)

	// From scratch, on a fresh host.
	scratch := newHost(t, s, filepath.Join(dir, "s"))
	r1, err := scratch.creator().Create(ctx, environment.Request{ID: project + "-scratch", Project: project, EnvironmentClass: "bench", WorkspaceFolder: ws, ConfigFile: cfg, NoPrebuild: true})
	require.NoError(t, err)
	removeOnCleanup(t, r1)

	// The prebuild (on another host), then an environment from it on a
	// third, fresh host.
	pb := newHost(t, s, filepath.Join(dir, "p"))
	start := time.Now()
	res, err := pb.runner(t).Run(ctx, runner.Request{Project: project, EnvironmentClass: "bench", WorkspaceFolder: ws, ConfigFile: cfg, Trigger: prebuild.TriggerManual})
	require.NoError(t, err)
	prebuildTime := time.Since(start)
	fresh := newHost(t, s, filepath.Join(dir, "e"))
	r2, err := fresh.creator().Create(ctx, environment.Request{ID: project + "-fromprebuild", Project: project, EnvironmentClass: "bench", WorkspaceFolder: ws, ConfigFile: cfg})
	require.NoError(t, err)
	removeOnCleanup(t, r2)
	require.NotNil(t, r2.Prebuild)
	require.Equal(t, "ready\n", execOut(t, ctx, r2, "cat /opt/sdk/READY"))

	ratio := r1.FirstCommand.Seconds() / r2.FirstCommand.Seconds()
	fmt.Printf("setup       onCreate %d s (2,000 files + 16 MiB, then waiting), busybox image\n", secs)
	fmt.Printf("prebuild    %.1f s (setup %.1f s, stored %d bytes)\n", prebuildTime.Seconds(), res.Prebuild.SetupSeconds, res.Prebuild.Size)
	fmt.Printf("scratch     first command after %.2f s (ready %.2f s)\n", r1.FirstCommand.Seconds(), r1.Ready.Seconds())
	fmt.Printf("prebuilt    first command after %.2f s (ready %.2f s, lazy restore on a fresh host)\n", r2.FirstCommand.Seconds(), r2.Ready.Seconds())
	fmt.Printf("RATIO       %.1fx faster to the first command\n", ratio)
	if secs >= 60 {
		require.GreaterOrEqual(t, ratio, 10.0, "a prebuild makes the environment start at least 10x sooner")
	}
}

// benchSetupSeconds is the benchmarks' setup time
// (DEVCACHE_BENCH_PREBUILD_SETUP, set by hack/bench-prebuild); without it
// the test is skipped.
func benchSetupSeconds(t *testing.T) int {
	t.Helper()
	secs, _ := strconv.Atoi(os.Getenv("DEVCACHE_BENCH_PREBUILD_SETUP"))
	if secs <= 0 {
		t.Skip("set DEVCACHE_BENCH_PREBUILD_SETUP (seconds of setup), or run hack/bench-prebuild")
	}
	return secs
}

// benchSetup is the benchmarks' onCreateCommand: 1,000 files in the rootfs
// (/opt/sdk) and 1,000 build outputs in the workspace folder outDir, then
// extra, then it waits out the rest of secs (standing in for downloads and
// compiles).
func benchSetup(secs int, outDir, extra string) string {
	return fmt.Sprintf(`start=$(date +%%s)
mkdir -p /opt/sdk %[2]s
i=0; while [ $i -lt 1000 ]; do echo "module $i" > /opt/sdk/f$i.txt; echo "out $i" > %[2]s/o$i; i=$((i+1)); done
%[3]s
left=$((%[1]d - ($(date +%%s) - start))); [ $left -gt 0 ] && sleep $left; true`, secs, outDir, extra)
}
