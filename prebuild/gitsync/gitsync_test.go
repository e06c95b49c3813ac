package gitsync

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/require"
)

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := git(context.Background(), dir, args...)
	require.NoError(t, err)
	return strings.TrimSpace(out)
}

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
}

// commitAll commits everything in the checkout dir and returns the commit.
func commitAll(t *testing.T, dir, msg string) string {
	run(t, dir, "add", "-A")
	run(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", msg)
	return run(t, dir, "rev-parse", "HEAD")
}

func TestResolveAndSync(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx := context.Background()
	dir := t.TempDir()
	remote := filepath.Join(dir, "remote.git")
	run(t, "", "init", "-q", "--bare", "-b", "main", remote)
	dev := filepath.Join(dir, "dev")
	run(t, "", "clone", "-q", remote, dev)
	run(t, dev, "checkout", "-q", "-b", "main")
	write(t, dev, map[string]string{".gitignore": "out/\n", "a.txt": "a1\n", "gone.txt": "x\n"})
	a := commitAll(t, dev, "A")
	run(t, dev, "push", "-q", "origin", "main")

	m, err := OpenMirror(ctx, filepath.Join(dir, "mirrors"), remote)
	require.NoError(t, err)
	ta, err := m.Resolve(ctx, "main")
	require.NoError(t, err)
	require.Equal(t, Target{Ref: "main", Commit: a, Branch: "main"}, ta)

	// The prebuild's workspace: a checkout at A with build outputs.
	ws := filepath.Join(dir, "ws")
	require.NoError(t, m.Clone(ctx, ws, ta))
	require.Equal(t, remote, run(t, ws, "remote", "get-url", "origin"), "the checkout's origin is the project's remote, not the mirror")
	write(t, ws, map[string]string{"out/bin": "built\n", "untracked.txt": "u\n"})

	// B: a change, a new file, a deletion, two commits.
	write(t, dev, map[string]string{"a.txt": "a2\n"})
	commitAll(t, dev, "B1")
	write(t, dev, map[string]string{"new.txt": "n\n"})
	require.NoError(t, os.Remove(filepath.Join(dev, "gone.txt")))
	b := commitAll(t, dev, "B2")
	run(t, dev, "push", "-q", "origin", "main")

	tb, err := m.Resolve(ctx, b[:10])
	require.NoError(t, err)
	require.Equal(t, b, tb.Commit)
	require.Empty(t, tb.Branch)
	n, err := m.Behind(ctx, a, b)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	if os.Getuid() == 0 {
		require.NoError(t, os.Chown(ws, 1000, 1000))
	}
	tb, err = m.Resolve(ctx, "main")
	require.NoError(t, err)
	s, err := m.Sync(ctx, ws, tb)
	require.NoError(t, err)
	require.Equal(t, a, s.From)
	require.ElementsMatch(t, []string{"a.txt", "gone.txt", "new.txt"}, s.Changed)
	require.Equal(t, b, run(t, ws, "rev-parse", "HEAD"))
	require.Equal(t, "main", run(t, ws, "rev-parse", "--abbrev-ref", "HEAD"))
	require.Empty(t, run(t, ws, "status", "--porcelain", "--untracked-files=no"), "the tree is B's")
	for name, want := range map[string]string{"a.txt": "a2\n", "new.txt": "n\n", "out/bin": "built\n", "untracked.txt": "u\n"} {
		got, err := os.ReadFile(filepath.Join(ws, name))
		require.NoError(t, err, name)
		require.Equal(t, want, string(got), name)
	}
	require.NoFileExists(t, filepath.Join(ws, "gone.txt"))
	if os.Getuid() == 0 {
		st, err := os.Stat(filepath.Join(ws, "new.txt"))
		require.NoError(t, err)
		require.EqualValues(t, 1000, st.Sys().(*syscall.Stat_t).Uid, "git's new files belong to the workspace owner")
	}

	_, err = m.Resolve(ctx, "0123456789abcdef0123456789abcdef01234567")
	require.ErrorIs(t, err, errdefs.ErrNotFound)
	_, err = m.Resolve(ctx, "no-such-branch")
	require.ErrorIs(t, err, errdefs.ErrNotFound)
	_, err = m.Resolve(ctx, "--upload-pack=evil")
	require.ErrorIs(t, err, errdefs.ErrInvalidArgument)

	_, err = m.Sync(ctx, t.TempDir(), tb)
	require.ErrorIs(t, err, errdefs.ErrFailedPrecondition, "not a checkout")
}
