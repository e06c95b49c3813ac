package snapshotter

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

// TestBenchSnapshotter measures, in one run on the same data, what
// hack/bench-snapshotter prints:
//
//   - capture: devcache-snapshotter capture (upper directory diff + eStargz
//     with klauspost gzip -1) vs `ctr snapshots diff` (containerd's walking
//     differ, both trees walked, stdlib gzip -6) on a container whose setup
//     copied DEVCACHE_BENCH_SRC into its rootfs;
//   - restore: time until a command runs in a container of the prebuild on a
//     fresh containerd, lazily through devcache vs pull + unpack with
//     containerd's overlayfs snapshotter.
//
// It runs only when DEVCACHE_BENCH_SRC names the directory to use as data.
func TestBenchSnapshotter(t *testing.T) {
	src := os.Getenv("DEVCACHE_BENCH_SRC")
	if src == "" {
		t.Skip("benchmark: set DEVCACHE_BENCH_SRC (see hack/bench-snapshotter)")
	}
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 25*time.Minute)
	defer cancel()
	dir := t.TempDir()
	report := func(format string, args ...any) { fmt.Printf(format+"\n", args...) }

	a := newEnv(t, s, filepath.Join(dir, "a"))
	a.ctr(t, ctx, "image", "pull", "--plain-http", "--snapshotter", "devcache", s.BusyboxImage())
	a.ctr(t, ctx, "container", "create", "--snapshotter", "devcache", s.BusyboxImage(), "bench", "cat", "/ready.txt")
	var files, bytes int64
	a.withContainerRoot(t, ctx, "bench", func(root string) {
		cp := exec.CommandContext(ctx, "cp", "-a", src, filepath.Join(root, "data"))
		out, err := cp.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.NoError(t, os.WriteFile(filepath.Join(root, "ready.txt"), []byte("ready\n"), 0o644))
		require.NoError(t, filepath.Walk(filepath.Join(root, "data"), func(_ string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				files++
				bytes += fi.Size()
			}
			return err
		}))
	})
	mib := float64(bytes) / (1 << 20)
	report("data: %s, %d files, %.0f MiB", src, files, mib)

	// Capture: ours, then containerd's walking differ, same warm data.
	target := s.Registry + "/" + project(t) + ":bench"
	start := time.Now()
	res, err := a.capture(t, ctx, "bench", target)
	require.NoError(t, err)
	total := time.Since(start)
	layer := time.Duration(res["layerSeconds"].(float64) * float64(time.Second))
	report("capture devcache: layers %v (%.0f MiB/s), with push %v", layer.Round(time.Millisecond), mib/layer.Seconds(), total.Round(time.Millisecond))

	diff := exec.CommandContext(ctx, filepath.Join(s.ToolsBin, "ctr"), "--address", a.address, "--namespace", namespace,
		"snapshots", "--snapshotter", "devcache", "diff", "bench")
	var stderr strings.Builder
	diff.Env, diff.Stdout, diff.Stderr = s.Env(), io.Discard, &stderr
	start = time.Now()
	require.NoError(t, diff.Run(), "%s", stderr.String())
	walking := time.Since(start)
	report("capture walking differ + gzip (ctr snapshots diff): %v (%.0f MiB/s)", walking.Round(time.Millisecond), mib/walking.Seconds())
	report("RATIO capture (walking / devcache layers): %.1fx   (with push: %.1fx)", walking.Seconds()/layer.Seconds(), walking.Seconds()/total.Seconds())
	a.ctr(t, ctx, "container", "rm", "bench")
	a.stop(t)

	// Restore: time to the first command on a fresh containerd.
	firstCommand := func(name, snapshotter string) time.Duration {
		e := newEnv(t, s, filepath.Join(dir, name))
		start := time.Now()
		e.ctr(t, ctx, "image", "pull", "--plain-http", "--snapshotter", snapshotter, target)
		pulled := time.Since(start)
		out := e.ctr(t, ctx, "run", "--rm", "--snapshotter", snapshotter, target, "first", "cat", "/ready.txt")
		d := time.Since(start)
		require.Equal(t, "ready", strings.TrimSpace(out))
		report("restore %s: pull %v, first command after %v", snapshotter, pulled.Round(time.Millisecond), d.Round(time.Millisecond))
		e.stop(t)
		return d
	}
	baseline := firstCommand("overlay", "overlayfs")
	lazy := firstCommand("lazy", "devcache")
	report("RATIO restore time-to-first-command (overlayfs pull+unpack / devcache lazy): %.1fx", baseline.Seconds()/lazy.Seconds())
}
