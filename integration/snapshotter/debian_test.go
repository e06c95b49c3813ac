package snapshotter

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/snapshotter/fstree"
)

// debianSetup is a setup on a real distribution tree: a user with a home
// directory, a replaced documentation tree (opaque), a removed package file
// (whiteout), a setuid copy and hard links across directories.
const debianSetup = `set -e
useradd -m -u 1000 -s /bin/bash dev
echo 'export PATH=$HOME/bin:$PATH' >> /home/dev/.bashrc
rm -rf /usr/share/doc
mkdir -p /usr/share/doc/devcache
echo prebuilt > /usr/share/doc/devcache/README
rm /etc/debian_version
cp /bin/ls /usr/local/bin/ls-suid && chmod 4755 /usr/local/bin/ls-suid
mkdir -p /opt/cache && ln /etc/hostname /opt/cache/hostname-link
`

// TestPrebuildRoundTripDebian runs the round trip on the Debian base image:
// a restored (lazy) container sees the captured tree exactly.
func TestPrebuildRoundTripDebian(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()

	a := newEnv(t, s, filepath.Join(dir, "a"))
	a.ctr(t, ctx, "image", "pull", "--plain-http", "--snapshotter", "devcache", s.DebianImage())
	a.ctr(t, ctx, "run", "--snapshotter", "devcache", s.DebianImage(), "setup", "sh", "-c", debianSetup)
	want := a.tree(t, ctx, "setup")
	require.Equal(t, uint32(1000), want["home/dev/.bashrc"].UID)
	require.NotZero(t, want["usr/local/bin/ls-suid"].Mode&os.ModeSetuid)
	require.NotContains(t, want, "etc/debian_version")
	require.NotContains(t, want, "usr/share/doc/bash", "/usr/share/doc was not replaced")
	require.Greater(t, len(want), 5000, "Debian's tree is missing")

	target := s.Registry + "/" + project(t) + ":debian"
	_, err := a.capture(t, ctx, "setup", target)
	require.NoError(t, err)
	a.ctr(t, ctx, "container", "rm", "setup")
	a.stop(t)

	b := newEnv(t, s, filepath.Join(dir, "b"))
	b.ctr(t, ctx, "image", "pull", "--plain-http", "--snapshotter", "devcache", target)
	require.Equal(t, 2, fuseMountsUnder(t, b.pluginRoot), "want the prebuild layers mounted lazily")
	out := b.ctr(t, ctx, "run", "--rm", "--snapshotter", "devcache", target, "first", "su", "dev", "-c", "id -u; cat /usr/share/doc/devcache/README")
	require.Equal(t, "1000\nprebuilt", strings.TrimSpace(out))
	b.ctr(t, ctx, "container", "create", "--snapshotter", "devcache", target, "restored")
	require.Empty(t, fstree.Diff(want, b.tree(t, ctx, "restored")), "restored rootfs differs from the captured container")
	b.ctr(t, ctx, "container", "rm", "restored")
}
