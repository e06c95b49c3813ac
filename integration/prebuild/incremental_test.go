package prebuild

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/prebuild/environment"
	"github.com/devcache/devcache/prebuild/runner"
)

// TestIncrementalPrebuild: after a new commit with the same Dev Container
// key, an incremental prebuild builds on the previous snapshot: the checkout
// is synced (added, changed and deleted files), updateContentCommand runs
// again and onCreateCommand does not; the image is the parent's layers plus
// new ones. A changed devcontainer.json (new key) gets a full prebuild.
func TestIncrementalPrebuild(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	h := newHost(t, s, filepath.Join(dir, "a"))
	e := newHost(t, s, filepath.Join(dir, "e"))
	project := projectName(t)
	ws, cfg := newProject(t, `{"image": "busybox",
		"onCreateCommand": "mkdir -p /opt && echo run >> /opt/oncreate-count",
		"updateContentCommand": "echo run >> /opt/update-count; cat src/*.txt > /opt/built.txt"}`,
		map[string]string{"src/a.txt": "a1\n", "src/gone.txt": "gone\n"})

	full, err := h.runner(t).Run(ctx, runner.Request{Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg, Commit: "c1", Incremental: true})
	require.NoError(t, err)
	require.Empty(t, full.Prebuild.Parent, "nothing to build on: a full prebuild")

	// A new commit: a changed, a new and a deleted file.
	require.NoError(t, os.WriteFile(filepath.Join(ws, "src", "a.txt"), []byte("a2\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(ws, "src", "b.txt"), []byte("b\n"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(ws, "src", "gone.txt")))
	inc, err := h.runner(t).Run(ctx, runner.Request{Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg, Commit: "c2", Incremental: true})
	require.NoError(t, err)
	require.Equal(t, full.Prebuild.ID, inc.Prebuild.Parent)
	require.Equal(t, 1, inc.Prebuild.Generation)
	var steps []string
	for _, st := range inc.Record.Steps {
		steps = append(steps, st.Step)
	}
	require.Equal(t, []string{"sync workspace", "updateContentCommand"}, steps, "onCreate does not run again")
	require.Greater(t, layerCount(t, ctx, inc.Prebuild.Reference), layerCount(t, ctx, full.Prebuild.Reference), "built on the parent's layers")

	r, err := e.creator().Create(ctx, environment.Request{ID: project + "-env", Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg})
	require.NoError(t, err)
	removeOnCleanup(t, r)
	require.Equal(t, inc.Prebuild.ID, r.Prebuild.ID, "environments start from the incremental prebuild")
	require.Equal(t, "run\nrun\nrun\na2\nb\n", execOut(t, ctx, r, "cat /opt/oncreate-count /opt/update-count /opt/built.txt"))
	require.Equal(t, "a.txt\nb.txt\n", execOut(t, ctx, r, "ls src"), "the deleted file does not come back from the parent")

	// A changed devcontainer.json is a new key: a full prebuild again.
	require.NoError(t, os.WriteFile(cfg, []byte(`{"image": "busybox", "onCreateCommand": "mkdir -p /opt && echo run >> /opt/oncreate-count"}`), 0o644))
	again, err := h.runner(t).Run(ctx, runner.Request{Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg, Commit: "c3", Incremental: true})
	require.NoError(t, err)
	require.Empty(t, again.Prebuild.Parent)
	require.Equal(t, "onCreateCommand", again.Record.Steps[0].Step)
}

func layerCount(t *testing.T, ctx context.Context, ref string) int {
	r, err := name.ParseReference(ref, name.Insecure)
	require.NoError(t, err)
	img, err := remote.Image(r, remote.WithContext(ctx))
	require.NoError(t, err)
	ls, err := img.Layers()
	require.NoError(t, err)
	return len(ls)
}
