//go:build linux

package overlay_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/snapshotter"
	"github.com/devcache/devcache/snapshotter/overlay"
)

// fakeFS "mounts" a layer by writing layer.txt into the mountpoint; layers
// whose labels lack a TOC digest are not its.
type fakeFS struct {
	mu       sync.Mutex
	mounted  map[string]bool
	mounts   int
	checkErr error
}

func (f *fakeFS) Mount(_ context.Context, mp string, labels map[string]string) error {
	if labels[snapshotter.LabelTOCDigest] == "" {
		return fmt.Errorf("not a lazy layer: %w", errdefs.ErrNotImplemented)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mounts++
	f.mounted[mp] = true
	return os.WriteFile(filepath.Join(mp, "layer.txt"), []byte(labels[snapshotter.LabelSnapshotRef]), 0o644)
}

func (f *fakeFS) Check(_ context.Context, mp string, _ map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.checkErr != nil {
		return f.checkErr
	}
	if !f.mounted[mp] {
		return errors.New("not mounted")
	}
	return nil
}

func (f *fakeFS) Unmount(_ context.Context, mp string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.mounted, mp)
	return nil
}

func remoteLabels(target string) snapshots.Opt {
	return snapshots.WithLabels(map[string]string{
		snapshotter.LabelSnapshotRef: target,
		snapshotter.LabelTOCDigest:   "sha256:0123",
	})
}

// TestRemoteHandshake walks containerd's remote-snapshot handshake against a
// fake RemoteFS: AlreadyExists and a committed, labelled, walkable target;
// ordinary mounts for layers the RemoteFS does not serve; ErrUnavailable
// instead of an empty lowerdir when a remote layer cannot be served; and
// re-mounting after a restart.
func TestRemoteHandshake(t *testing.T) {
	requiresRoot(t)
	ctx := context.Background()
	root := t.TempDir()
	fs := &fakeFS{mounted: map[string]bool{}}
	sn, err := overlay.New(ctx, root, overlay.WithRemoteFS(fs))
	require.NoError(t, err)

	_, err = sn.Prepare(ctx, "extract-1", "", remoteLabels("chain1"))
	require.True(t, errdefs.IsAlreadyExists(err), "got %v", err)
	info, err := sn.Stat(ctx, "chain1")
	require.NoError(t, err)
	require.Equal(t, snapshots.KindCommitted, info.Kind)
	require.Equal(t, "true", info.Labels[snapshotter.LabelRemote])
	_, err = sn.Stat(ctx, "extract-1")
	require.True(t, errdefs.IsNotFound(err), "the extraction key must be gone")
	var found []string
	require.NoError(t, sn.Walk(ctx, func(_ context.Context, i snapshots.Info) error {
		found = append(found, i.Name)
		return nil
	}, fmt.Sprintf(`labels."%s"==chain1`, snapshotter.LabelSnapshotRef)))
	require.Equal(t, []string{"chain1"}, found)

	// A layer the RemoteFS does not serve: containerd applies it.
	mounts, err := sn.Prepare(ctx, "extract-2", "chain1", snapshots.WithLabels(map[string]string{snapshotter.LabelSnapshotRef: "chain2"}))
	require.NoError(t, err)
	require.NotEmpty(t, mounts)
	require.NoError(t, sn.Commit(ctx, "chain2", "extract-2"))

	mounts, err = sn.Prepare(ctx, "container", "chain2")
	require.NoError(t, err)
	withMount(t, mounts, func(dir string) {
		b, err := os.ReadFile(filepath.Join(dir, "layer.txt"))
		require.NoError(t, err)
		require.Equal(t, "chain1", string(b))
	})

	fs.checkErr = errors.New("registry gone")
	_, err = sn.Mounts(ctx, "container")
	require.True(t, errdefs.IsUnavailable(err), "got %v", err)
	_, err = sn.Prepare(ctx, "container-2", "chain2")
	require.True(t, errdefs.IsUnavailable(err), "got %v", err)
	_, err = sn.View(ctx, "view", "chain2")
	require.True(t, errdefs.IsUnavailable(err), "got %v", err)
	_, err = sn.Stat(ctx, "container-2")
	require.True(t, errdefs.IsNotFound(err), "a failed Prepare left its snapshot behind")
	fs.checkErr = nil
	require.NoError(t, sn.Close())
	require.Empty(t, fs.mounted, "Close must unmount remote layers")

	// Restart: the remote layer is mounted again from its labels.
	before := fs.mounts
	sn, err = overlay.New(ctx, root, overlay.WithRemoteFS(fs))
	require.NoError(t, err)
	defer sn.Close()
	require.Equal(t, before+1, fs.mounts)
	_, err = sn.Mounts(ctx, "container")
	require.NoError(t, err)
}

// modeFS is a fakeFS that says it restored every layer fully, and why.
type modeFS struct{ fakeFS }

func (m *modeFS) Mode(string) (string, string) {
	return snapshotter.RemoteFull, "the registry does not serve range requests"
}

// TestRemoteModeLabels: a RemoteFS that reports how it restored a layer
// has it recorded on the committed snapshot, where a runner reads it.
func TestRemoteModeLabels(t *testing.T) {
	requiresRoot(t)
	ctx := context.Background()
	sn, err := overlay.New(ctx, t.TempDir(), overlay.WithRemoteFS(&modeFS{fakeFS{mounted: map[string]bool{}}}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = sn.Close() })
	_, err = sn.Prepare(ctx, "extract-1", "", remoteLabels("chain1"))
	require.True(t, errdefs.IsAlreadyExists(err), "got %v", err)
	info, err := sn.Stat(ctx, "chain1")
	require.NoError(t, err)
	require.Equal(t, snapshotter.RemoteFull, info.Labels[snapshotter.LabelRemote])
	require.Equal(t, "the registry does not serve range requests", info.Labels[snapshotter.LabelRemoteReason])
}
