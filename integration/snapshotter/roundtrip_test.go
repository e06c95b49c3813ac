package snapshotter

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/snapshotter/fstree"
)

// setup is what the prebuild's "setup" does in the busybox container:
// writes, modes, owners, a hard link, a symlink, a deleted file (whiteout)
// and a replaced directory (opaque), plus 4 MiB of incompressible data.
const setup = `set -e
echo hello > /new.txt
chmod 640 /new.txt
chown 1000:1001 /new.txt
ln /new.txt /hardlink
ln -s new.txt /symlink
rm /etc/group
rm -rf /usr/sbin
mkdir /usr/sbin
echo tool > /usr/sbin/tool
chmod 4755 /usr/sbin/tool
mkdir -p /home/dev/.cache
dd if=/dev/urandom of=/home/dev/.cache/blob bs=1M count=4 2>/dev/null
chown -R 1000:1000 /home/dev
`

// TestPrebuildRoundTrip: a container on busybox runs the setup, is
// captured (with a workspace folder) and pushed; a fresh containerd + plugin
// pulls the prebuild (lazily on FUSE with --restore auto, extracted with
// --restore full) and a container from it sees exactly the same files,
// modes, owners, links and xattrs, also after a plugin restart.
func TestPrebuildRoundTrip(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()

	a := newEnv(t, s, filepath.Join(dir, "a"))
	a.ctr(t, ctx, "image", "pull", "--plain-http", "--snapshotter", "devcache", s.BusyboxImage())
	a.ctr(t, ctx, "run", "--snapshotter", "devcache", s.BusyboxImage(), "setup", "sh", "-c", setup)
	// busybox has no setfattr: set an xattr through the container's rootfs.
	a.withContainerRoot(t, ctx, "setup", func(root string) {
		require.NoError(t, unix.Lsetxattr(filepath.Join(root, "new.txt"), "user.devcache", []byte("prebuilt"), 0))
	})
	want := a.tree(t, ctx, "setup")
	require.Contains(t, want, "usr/sbin/tool")
	require.NotContains(t, want, "etc/group")
	require.NotContains(t, want, "usr/sbin/chroot", "busybox's /usr/sbin was not replaced")
	require.Equal(t, "prebuilt", want["new.txt"].Xattrs["user.devcache"])
	require.Equal(t, "hardlink", want["new.txt"].HardLink)
	require.Equal(t, uint32(1001), want["new.txt"].GID)
	require.NotZero(t, want["usr/sbin/tool"].Mode&os.ModeSetuid)
	require.Equal(t, "new.txt", want["symlink"].Link)
	require.Greater(t, len(want), 250, "busybox's tree is missing")

	ws := filepath.Join(dir, "ws")
	require.NoError(t, os.MkdirAll(filepath.Join(ws, "src"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(ws, "src", "main.go"), []byte("package main\n"), 0o644))
	require.NoError(t, os.Symlink("src/main.go", filepath.Join(ws, "main")))
	wantWS, err := fstree.Read(ws)
	require.NoError(t, err)

	target := s.Registry + "/" + project(t) + ":v1"
	res, err := a.capture(t, ctx, "setup", target, "--workspace", "/workspaces/repo="+ws)
	require.NoError(t, err)
	require.Len(t, res["layers"], 3, "2 rootfs layers + the workspace")
	a.ctr(t, ctx, "container", "rm", "setup")
	a.stop(t)

	for _, tc := range []struct {
		restore string
		fuse    int // prebuild layers mounted lazily
	}{
		{"auto", 3}, // FUSE and Range work here: lazy
		{"full", 0}, // downloaded, verified and extracted before the container starts
	} {
		t.Run(tc.restore, func(t *testing.T) {
			// A fresh containerd and plugin.
			b := newEnv(t, s, filepath.Join(dir, "b-"+tc.restore), "--restore", tc.restore)
			b.ctr(t, ctx, "image", "pull", "--plain-http", "--snapshotter", "devcache", target)
			require.Contains(t, b.plugin.Log(), "remote-snapshot-prepared=true")
			require.Equal(t, tc.fuse, fuseMountsUnder(t, b.pluginRoot), "FUSE-mounted prebuild layers")
			out := b.ctr(t, ctx, "run", "--rm", "--snapshotter", "devcache", target, "first", "cat", "/new.txt")
			require.Equal(t, "hello", strings.TrimSpace(out))

			b.ctr(t, ctx, "container", "create", "--snapshotter", "devcache", target, "restored")
			got := b.tree(t, ctx, "restored", "workspaces")
			require.Empty(t, fstree.Diff(want, got), "restored rootfs differs from the captured container")
			b.withContainerRoot(t, ctx, "restored", func(root string) {
				gotWS, err := fstree.Read(filepath.Join(root, "workspaces", "repo"))
				require.NoError(t, err)
				require.Empty(t, fstree.Diff(wantWS, gotWS), "restored workspace differs")
			})

			// A plugin restart keeps the snapshots usable: lazy layers are
			// mounted again from the metadata, extracted ones are kept, and
			// the container still runs.
			b.plugin.Stop(t, syscall.SIGTERM)
			require.Zero(t, fuseMountsUnder(t, b.pluginRoot), "a stopped plugin left FUSE mounts")
			b.startPlugin(t, "--restore", tc.restore)
			require.Equal(t, tc.fuse, fuseMountsUnder(t, b.pluginRoot), "lazy layers after a restart")
			out = b.ctr(t, ctx, "run", "--rm", "--snapshotter", "devcache", target, "after-restart", "sh", "-c", "cat /new.txt /usr/sbin/tool; ls /usr/sbin")
			require.Equal(t, "hello\ntool\ntool", strings.TrimSpace(out))
			require.Empty(t, fstree.Diff(want, b.tree(t, ctx, "restored", "workspaces")), "restored rootfs differs after a plugin restart")
			b.ctr(t, ctx, "container", "rm", "restored")
			b.stop(t)
		})
	}
}
