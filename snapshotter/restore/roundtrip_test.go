//go:build linux

package restore_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/pkg/archive"
	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/snapshotter"
	"github.com/devcache/devcache/snapshotter/capture"
	"github.com/devcache/devcache/snapshotter/fstree"
	"github.com/devcache/devcache/snapshotter/overlay"
	"github.com/devcache/devcache/snapshotter/restore"
)

func requiresRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (mounts overlayfs)")
	}
}

// fixture is a captured prebuild in an in-process registry.
type fixture struct {
	registry string // host:port
	target   string
	want     map[string]fstree.Entry // the container's root as the setup left it
	wantWS   map[string]fstree.Entry // the workspace folder
	image    v1.Image
}

// newFixture builds a base image, runs a "setup" in an overlay snapshot on
// it (writes, deletes, replaced directories, modes, owners, symlinks, hard
// links, xattrs), captures it with a workspace folder and pushes it.
func newFixture(t *testing.T, handler func(http.Handler) http.Handler) *fixture {
	t.Helper()
	ctx := context.Background()
	h := registry.New(registry.Logger(nopLogger()))
	if handler != nil {
		h = handler(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	f := &fixture{registry: u.Host, target: u.Host + "/projects/p1/prebuild:latest"}

	sn, err := overlay.New(ctx, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { sn.Close() })

	// Base layer.
	baseTar := withActive(t, sn, "base-active", "", func(dir string) {
		write(t, dir, "etc/passwd", "root:x:0:0\n", 0o644)
		write(t, dir, "del.txt", "delete me", 0o644)
		write(t, dir, "opt/old/a", "a", 0o644)
		write(t, dir, "opt/old/sub/b", "b", 0o600)
		write(t, dir, "keep/file", "kept", 0o755)
	})
	require.NoError(t, sn.Commit(ctx, "base", "base-active"))
	baseLayer, err := tarball.LayerFromOpener(func() (rcErr io.ReadCloser, err error) { return io.NopCloser(bytes.NewReader(baseTar)), nil }, tarball.WithMediaType(types.OCILayer))
	require.NoError(t, err)
	base, err := mutate.AppendLayers(mutate.MediaType(mutate.ConfigMediaType(empty.Image, types.OCIConfigJSON), types.OCIManifestSchema1), baseLayer)
	require.NoError(t, err)
	baseRef := u.Host + "/base/img:latest"
	require.NoError(t, remote.Write(mustRef(t, baseRef), base))

	// The setup, in the container's active snapshot.
	mounts, err := sn.Prepare(ctx, "container", "base")
	require.NoError(t, err)
	withMount(t, mounts, func(dir string) {
		write(t, dir, "new.txt", "new file", 0o640)
		require.NoError(t, os.Lchown(filepath.Join(dir, "new.txt"), 1000, 1001))
		require.NoError(t, unix.Lsetxattr(filepath.Join(dir, "new.txt"), "user.devcache", []byte("xattr value"), 0))
		require.NoError(t, os.Link(filepath.Join(dir, "new.txt"), filepath.Join(dir, "hardlink")))
		require.NoError(t, os.Symlink("new.txt", filepath.Join(dir, "symlink")))
		require.NoError(t, os.Remove(filepath.Join(dir, "del.txt")))    // whiteout
		require.NoError(t, os.RemoveAll(filepath.Join(dir, "opt/old"))) // opaque when recreated
		write(t, dir, "opt/old/c", "replaced", 0o644)
		write(t, dir, "etc/passwd", "root:x:0:0\ndev:x:1000:1000\n", 0o644)
		require.NoError(t, os.Chmod(filepath.Join(dir, "keep"), 0o700))
		big := make([]byte, 1<<20)
		_, err := rand.Read(big)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644))
		f.want, err = fstree.Read(dir)
		require.NoError(t, err)
	})
	ws := t.TempDir()
	write(t, ws, "README.md", "# repo", 0o644)
	write(t, ws, "node_modules/x/index.js", "module.exports = 1", 0o644)
	require.NoError(t, os.Symlink("README.md", filepath.Join(ws, "readme")))
	f.wantWS, err = fstree.Read(ws)
	require.NoError(t, err)

	mounts, err = sn.Mounts(ctx, "container")
	require.NoError(t, err)
	src, err := capture.SourceFromMounts(mounts)
	require.NoError(t, err)
	res, err := capture.Capture(ctx, src, capture.Options{
		Base:             baseRef,
		Target:           f.target,
		Workspaces:       []capture.Workspace{{Path: "/workspaces/repo", Dir: ws}},
		PrioritizedFiles: []string{"etc/passwd", "hardlink"},
		EnvironmentClass: "small",
		ConfigKey:        "sha256:abc",
		RootfsLayers:     2,
		TempDir:          t.TempDir(),
	})
	require.NoError(t, err)
	require.Len(t, res.Layers, 3)
	f.image, err = remote.Image(mustRef(t, f.target))
	require.NoError(t, err)
	return f
}

// restoreInto replays containerd's unpacker against a fresh snapshotter with
// rfs: layers with a TOC digest must be answered with AlreadyExists; others
// are applied the way containerd would. It returns the top chain ID.
func (f *fixture) restoreInto(t *testing.T, sn snapshots.Snapshotter) string {
	t.Helper()
	ctx := context.Background()
	m, err := f.image.Manifest()
	require.NoError(t, err)
	cfg, err := f.image.ConfigFile()
	require.NoError(t, err)
	var diffIDs []digest.Digest
	for _, d := range cfg.RootFS.DiffIDs {
		diffIDs = append(diffIDs, digest.Digest(d.String()))
	}
	chain := identity.ChainIDs(diffIDs)
	var layers []string
	for _, l := range m.Layers {
		layers = append(layers, l.Digest.String())
	}
	parent := ""
	for i, l := range m.Layers {
		labels := map[string]string{
			snapshotter.LabelSnapshotRef:    chain[i].String(),
			snapshotter.LabelCRIImageRef:    f.target,
			snapshotter.LabelCRILayerDigest: l.Digest.String(),
			snapshotter.LabelCRIImageLayers: strings.Join(layers, ","),
		}
		for k, v := range l.Annotations {
			if strings.HasPrefix(k, "containerd.io/snapshot/") {
				labels[k] = v
			}
		}
		key := fmt.Sprintf("extract-%d %s", i, chain[i])
		mounts, err := sn.Prepare(ctx, key, parent, snapshots.WithLabels(labels))
		if _, ok := l.Annotations[snapshotter.LabelTOCDigest]; ok {
			require.True(t, errdefs.IsAlreadyExists(err), "layer %d: want AlreadyExists, got %v", i, err)
		} else {
			require.NoError(t, err)
			layer, err := f.image.LayerByDigest(l.Digest)
			require.NoError(t, err)
			rc, err := layer.Uncompressed()
			require.NoError(t, err)
			withMount(t, mounts, func(dir string) {
				_, err := archive.Apply(ctx, dir, rc)
				require.NoError(t, err)
			})
			rc.Close()
			require.NoError(t, sn.Commit(ctx, chain[i].String(), key))
		}
		parent = chain[i].String()
	}
	return parent
}

func (f *fixture) check(t *testing.T, sn snapshots.Snapshotter, top string) {
	t.Helper()
	mounts, err := sn.Prepare(context.Background(), "restored", top)
	require.NoError(t, err)
	withMount(t, mounts, func(dir string) {
		got, err := fstree.Read(dir, "workspaces")
		require.NoError(t, err)
		require.Empty(t, fstree.Diff(f.want, got), "restored rootfs differs")
		gotWS, err := fstree.Read(filepath.Join(dir, "workspaces/repo"))
		require.NoError(t, err)
		require.Empty(t, fstree.Diff(f.wantWS, gotWS), "restored workspace differs")
	})
}

func TestCaptureRestoreFull(t *testing.T) {
	requiresRoot(t)
	f := newFixture(t, nil)
	m, err := f.image.Manifest()
	require.NoError(t, err)
	require.Equal(t, "small", m.Annotations[contract.AnnotationEnvironmentClass])
	require.Equal(t, "sha256:abc", m.Annotations[contract.AnnotationConfigKey])
	require.Contains(t, m.Annotations[contract.AnnotationSourceImage], "/base/img@sha256:")
	require.NotEmpty(t, m.Annotations[contract.AnnotationCreated])
	require.Len(t, m.Layers, 4, "base + 2 rootfs + workspace")
	require.Equal(t, "rootfs", m.Layers[1].Annotations[contract.AnnotationLayerKind])
	require.Equal(t, "rootfs", m.Layers[2].Annotations[contract.AnnotationLayerKind])
	require.Equal(t, "/workspaces/repo", m.Layers[3].Annotations[contract.AnnotationWorkspacePath])

	sn, err := overlay.New(context.Background(), t.TempDir(), overlay.WithRemoteFS(restore.NewFull()))
	require.NoError(t, err)
	defer sn.Close()
	f.check(t, sn, f.restoreInto(t, sn))
}

func withActive(t *testing.T, sn snapshots.Snapshotter, key, parent string, fn func(dir string)) []byte {
	t.Helper()
	mounts, err := sn.Prepare(context.Background(), key, parent)
	require.NoError(t, err)
	var buf bytes.Buffer
	withMount(t, mounts, func(dir string) {
		fn(dir)
		zw := gzip.NewWriter(&buf)
		require.NoError(t, archive.WriteDiff(context.Background(), zw, "", dir))
		require.NoError(t, zw.Close())
	})
	return buf.Bytes()
}

func withMount(t *testing.T, mounts []mount.Mount, fn func(dir string)) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, mount.All(mounts, dir))
	defer func() { require.NoError(t, mount.UnmountAll(dir, 0)) }()
	fn(dir)
}

func write(t *testing.T, root, p, content string, mode os.FileMode) {
	t.Helper()
	full := filepath.Join(root, p)
	require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
	require.NoError(t, os.WriteFile(full, []byte(content), mode))
	require.NoError(t, os.Chmod(full, mode))
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	require.NoError(t, err)
	return r
}

func TestCaptureRestoreLazy(t *testing.T) {
	requiresRoot(t)
	if err := restore.FUSEAvailable(); err != nil {
		t.Skipf("FUSE unavailable: %v", err)
	}
	f := newFixture(t, nil)
	lazy, err := restore.NewLazy(t.TempDir(), restore.DefaultLazyConfig())
	require.NoError(t, err)
	root := t.TempDir()
	sn, err := overlay.New(context.Background(), root, overlay.WithRemoteFS(lazy))
	require.NoError(t, err)
	defer sn.Close()
	top := f.restoreInto(t, sn)
	require.True(t, isFUSEMountUnder(t, root), "prebuild layers are not FUSE mounts")
	f.check(t, sn, top)
}

// isFUSEMountUnder reports whether a FUSE filesystem is mounted below dir.
func isFUSEMountUnder(t *testing.T, dir string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir) && strings.Contains(line, " - fuse") {
			return true
		}
	}
	return false
}
