package prebuild

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/prebuild/environment"
	"github.com/devcache/devcache/prebuild/runner"
)

// TestBenchPrebuildAtRef measures an environment at a commit 10 files ahead
// of the prebuild (hack/bench-prebuild): setup (onCreate) of
// DEVCACHE_BENCH_PREBUILD_SETUP seconds, updateContent of a twelfth of it
// (5 s for 60 s). Time to the first command (after waitFor, the default
// updateContentCommand) from scratch at that commit vs from the prebuild
// brought to it with git (sync + updateContent), and vs from the prebuild
// without the sync (the old code): the price of fresh code. Each start is
// on a fresh runner host; the remote is hack/git-server's git daemon.
func TestBenchPrebuildAtRef(t *testing.T) {
	secs := benchSetupSeconds(t)
	update := max(1, secs/12)
	s := testenv.Get(t)
	g := s.GitServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(3*secs)*time.Second+6*time.Minute)
	defer cancel()
	dir := t.TempDir()
	project := projectName(t)
	setup := benchSetup(secs, "out", "")
	js := fmt.Sprintf(`{"image": "busybox", "onCreateCommand": %q, "updateContentCommand": "sleep %d; cat src/*.txt > out/all.txt", "postCreateCommand": "true"}`, setup, update)
	files := map[string]string{}
	for i := range 40 {
		files[fmt.Sprintf("src/f%02d.txt", i)] = fmt.Sprintf("A%02d\n", i)
	}
	ws, commitA := gitProject(t, g, project, js, files)
	cfg := filepath.Join(ws, ".devcontainer", "devcontainer.json")

	pb := newHost(t, s, filepath.Join(dir, "p"))
	_, err := pb.runner(t).Run(ctx, runner.Request{Project: project, EnvironmentClass: "bench", WorkspaceFolder: ws, ConfigFile: cfg, Commit: commitA})
	require.NoError(t, err)
	changed := map[string]string{}
	for i := range 10 {
		changed[fmt.Sprintf("src/f%02d.txt", i)] = fmt.Sprintf("B%02d\n", i)
	}
	commitB := commitFiles(t, ws, changed, nil)

	start := func(name string, req environment.Request) *environment.Result {
		h := newHost(t, s, filepath.Join(dir, name))
		req.ID, req.Project, req.EnvironmentClass, req.WorkspaceFolder, req.ConfigFile = project+"-"+name, project, "bench", ws, cfg
		r, err := h.creator().Create(ctx, req)
		require.NoError(t, err)
		removeOnCleanup(t, r)
		return r
	}
	scratch := start("s", environment.Request{Ref: commitB, NoPrebuild: true})
	synced := start("r", environment.Request{Ref: commitB})
	stale := start("o", environment.Request{})
	require.NotNil(t, synced.Prebuild)
	require.Equal(t, 10, len(changed))
	require.Equal(t, "B00\n", execOut(t, ctx, synced, "head -n1 out/all.txt"), "updateContent ran on B")
	require.Equal(t, "A00\n", execOut(t, ctx, stale, "cat src/f00.txt"), "without the sync the code is A's")

	fmt.Printf("atref setup onCreate %d s (1,000 files in the rootfs, 1,000 build outputs), updateContent %d s, busybox image, B = 10 files ahead\n", secs, update)
	fmt.Printf("atref scratch at B           first command after %6.2f s\n", scratch.FirstCommand.Seconds())
	fmt.Printf("atref prebuild + sync to B   first command after %6.2f s (%d commit behind, updateContent ran)\n", synced.FirstCommand.Seconds(), synced.Behind)
	fmt.Printf("atref prebuild, no sync (A)  first command after %6.2f s\n", stale.FirstCommand.Seconds())
	ratio := scratch.FirstCommand.Seconds() / synced.FirstCommand.Seconds()
	fmt.Printf("RATIO atref %.1fx faster than scratch; fresh code costs %.2f s over the stale prebuild\n", ratio, synced.FirstCommand.Seconds()-stale.FirstCommand.Seconds())
	if secs >= 60 {
		require.GreaterOrEqual(t, ratio, 8.0, "an environment at a newer commit starts at least 8x sooner from the prebuild")
	}
}
