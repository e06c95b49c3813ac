package prebuild

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild/environment"
	"github.com/devcache/devcache/prebuild/runner"
)

// refDevcontainer builds into an ignored folder and the rootfs in
// onCreate, and concatenates the sources in updateContent.
const refDevcontainer = `{"image": "busybox",
	"onCreateCommand": "mkdir -p /opt out && echo run >> /opt/oncreate-count && echo built-at-A > out/artifact && echo scratch > notes.tmp",
	"updateContentCommand": "echo run >> /opt/update-count; cat src/*.txt > /opt/built.txt"}`

// gitProject makes a checkout (folder "repo") whose origin is a new
// repository on the stack's git daemon, with the devcontainer.json and
// files, committed and pushed as main; it returns the checkout and commit.
func gitProject(t *testing.T, g *testenv.GitServer, name, devcontainerJSON string, files map[string]string) (string, string) {
	url := g.NewRepo(t, name)
	ws := filepath.Join(t.TempDir(), "repo")
	testenv.Git(t, "", "clone", "-q", url, ws)
	testenv.Git(t, ws, "checkout", "-q", "-B", "main")
	files[".devcontainer/devcontainer.json"] = devcontainerJSON
	files[".gitignore"] = "out/\n*.tmp\n"
	return ws, commitFiles(t, ws, files, nil)
}

// commitFiles writes files, deletes the paths in gone, commits and pushes.
func commitFiles(t *testing.T, ws string, files map[string]string, gone []string) string {
	for name, body := range files {
		p := filepath.Join(ws, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	for _, name := range gone {
		require.NoError(t, os.Remove(filepath.Join(ws, name)))
	}
	testenv.Git(t, ws, "add", "-A")
	testenv.Git(t, ws, "commit", "-q", "-m", fmt.Sprintf("%d files", len(files)))
	testenv.Git(t, ws, "push", "-q", "origin", "main")
	return testenv.Git(t, ws, "rev-parse", "HEAD")
}

// TestEnvironmentAtRef: prebuild at A; B (10 changed files, one added, one
// deleted) is pushed to the git daemon; env create --ref main on another
// host starts from A's prebuild and brings its workspace to B with git: the
// tree is B's, A's build outputs (ignored and untracked) are still there,
// updateContent ran once, onCreate did not. The same commit as the prebuild
// runs no updateContent; a commit the remote lacks is an error before
// anything starts.
func TestEnvironmentAtRef(t *testing.T) {
	s := testenv.Get(t)
	g := s.GitServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	h := newHost(t, s, filepath.Join(dir, "a"))
	e := newHost(t, s, filepath.Join(dir, "e"))
	project := projectName(t)
	files := map[string]string{}
	for i := range 12 {
		files[fmt.Sprintf("src/f%02d.txt", i)] = fmt.Sprintf("A%02d\n", i)
	}
	ws, commitA := gitProject(t, g, project, refDevcontainer, files)
	cfg := filepath.Join(ws, ".devcontainer", "devcontainer.json")

	pre, err := h.runner(t).Run(ctx, runner.Request{Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg, Commit: commitA})
	require.NoError(t, err)

	// B: 10 files changed, one added, one deleted.
	changed := map[string]string{}
	for i := range 10 {
		changed[fmt.Sprintf("src/f%02d.txt", i)] = fmt.Sprintf("B%02d\n", i)
	}
	changed["src/f12.txt"] = "B12\n"
	commitB := commitFiles(t, ws, changed, []string{"src/f11.txt"})

	var logs bytes.Buffer
	lctx := log.WithLogger(ctx, slog.New(slog.NewTextHandler(&logs, nil)))
	r, err := e.creator().Create(lctx, environment.Request{ID: project + "-b", Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg, Ref: "main"})
	require.NoError(t, err, logs.String())
	removeOnCleanup(t, r)
	require.NotNil(t, r.Prebuild, r.Reason)
	require.Equal(t, pre.Prebuild.ID, r.Prebuild.ID)
	require.Equal(t, commitB, r.Commit)
	require.Equal(t, 1, r.Behind)
	require.Contains(t, logs.String(), fmt.Sprintf("prebuild at %s, 1 commits behind; updating", commitA[:7]))
	require.Equal(t, []string{"sync workspace", "updateContentCommand"}, r.Steps, "updateContent (new content), never onCreate")

	var want []string
	for i := range 13 {
		switch {
		case i < 10:
			want = append(want, fmt.Sprintf("B%02d", i))
		case i == 10:
			want = append(want, "A10")
		case i == 12:
			want = append(want, "B12")
		}
	}
	require.Equal(t, strings.Join(want, "\n")+"\n", execOut(t, ctx, r, "cat src/*.txt"), "the tree is B's (f11 deleted, f12 added)")
	require.Equal(t, strings.Join(want, "\n")+"\n", execOut(t, ctx, r, "cat /opt/built.txt"), "updateContent ran on B's tree")
	require.Equal(t, "run\n", execOut(t, ctx, r, "cat /opt/oncreate-count"), "onCreate ran once, in the prebuild")
	require.Equal(t, "run\nrun\n", execOut(t, ctx, r, "cat /opt/update-count"), "updateContent: once in the prebuild, once now")
	require.Equal(t, "built-at-A\nscratch\n", execOut(t, ctx, r, "cat out/artifact notes.tmp"), "A's ignored build outputs stay")
	require.Equal(t, commitB+"\n", execOut(t, ctx, r, "cat .git/refs/heads/main 2>/dev/null || grep refs/heads/main .git/packed-refs | cut -d' ' -f1"), "the checkout's branch is at B")

	// The prebuild's own commit: nothing new, no updateContent.
	r2, err := e.creator().Create(ctx, environment.Request{ID: project + "-a", Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg, Ref: commitA})
	require.NoError(t, err)
	removeOnCleanup(t, r2)
	require.Equal(t, []string{"sync workspace"}, r2.Steps)
	require.Equal(t, "run\n", execOut(t, ctx, r2, "cat /opt/update-count"))

	// A commit the remote lacks: an error before anything starts.
	before := e.containers(t, ctx)
	_, err = e.creator().Create(ctx, environment.Request{ID: project + "-x", Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg, Ref: "0123456789abcdef0123456789abcdef01234567"})
	require.ErrorIs(t, err, errdefs.ErrNotFound)
	require.Contains(t, err.Error(), `no branch, tag or commit "0123456789abcdef0123456789abcdef01234567"`)
	require.Equal(t, before, e.containers(t, ctx), "nothing started")
}
