//go:build linux

package overlay_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/snapshotter/overlay"
)

// TestRestartKeepsSnapshots commits a two-layer chain and leaves an active
// snapshot with a change, reopens the snapshotter on the same root, and
// checks that everything is still there and mountable.
func TestRestartKeepsSnapshots(t *testing.T) {
	requiresRoot(t)
	ctx := context.Background()
	root := t.TempDir()

	sn, err := overlay.New(ctx, root)
	require.NoError(t, err)
	writeLayer(t, ctx, sn, "l1", "", "a.txt", "one")
	writeLayer(t, ctx, sn, "l2", "l1", "b.txt", "two")
	mounts, err := sn.Prepare(ctx, "work", "l2", snapshots.WithLabels(map[string]string{"k": "v"}))
	require.NoError(t, err)
	withMount(t, mounts, func(dir string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "c.txt"), []byte("three"), 0o644))
	})
	require.NoError(t, sn.Close())

	sn, err = overlay.New(ctx, root)
	require.NoError(t, err)
	defer sn.Close()
	info, err := sn.Stat(ctx, "work")
	require.NoError(t, err)
	require.Equal(t, snapshots.KindActive, info.Kind)
	require.Equal(t, "l2", info.Parent)
	require.Equal(t, "v", info.Labels["k"])

	mounts, err = sn.Mounts(ctx, "work")
	require.NoError(t, err)
	withMount(t, mounts, func(dir string) {
		for name, want := range map[string]string{"a.txt": "one", "b.txt": "two", "c.txt": "three"} {
			got, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			require.Equal(t, want, string(got))
		}
	})
	require.NoError(t, sn.Commit(ctx, "l3", "work"))
	mounts, err = sn.View(ctx, "view", "l3")
	require.NoError(t, err)
	withMount(t, mounts, func(dir string) {
		_, err := os.Stat(filepath.Join(dir, "c.txt"))
		require.NoError(t, err)
	})
}

func writeLayer(t *testing.T, ctx context.Context, sn snapshots.Snapshotter, name, parent, file, content string) {
	t.Helper()
	key := name + "-active"
	mounts, err := sn.Prepare(ctx, key, parent)
	require.NoError(t, err)
	withMount(t, mounts, func(dir string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644))
	})
	require.NoError(t, sn.Commit(ctx, name, key))
}

func withMount(t *testing.T, mounts []mount.Mount, fn func(dir string)) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, mount.All(mounts, dir))
	defer func() { require.NoError(t, mount.UnmountAll(dir, 0)) }()
	fn(dir)
}
