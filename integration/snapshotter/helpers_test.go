package snapshotter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/snapshotter/fstree"
)

const namespace = "devcache-test"

// project returns a fresh prebuild repository name for a test.
func project(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "projects/itest-" + hex.EncodeToString(b) + "/prebuild"
}

// withContainerRoot mounts the container's snapshot (read through the
// plugin, as containerd hands it to runc) and calls fn with it.
func (e *env) withContainerRoot(t *testing.T, ctx context.Context, id string, fn func(root string)) {
	t.Helper()
	client, err := containerd.New(e.address, containerd.WithDefaultNamespace(namespace))
	require.NoError(t, err)
	defer client.Close()
	c, err := client.LoadContainer(ctx, id)
	require.NoError(t, err)
	info, err := c.Info(ctx)
	require.NoError(t, err)
	mounts, err := client.SnapshotService(info.Snapshotter).Mounts(ctx, info.SnapshotKey)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, mount.All(mounts, dir))
	defer func() { require.NoError(t, mount.UnmountAll(dir, 0)) }()
	fn(dir)
}

// tree reads the container's root as a user would see it.
func (e *env) tree(t *testing.T, ctx context.Context, id string, skip ...string) (m map[string]fstree.Entry) {
	e.withContainerRoot(t, ctx, id, func(root string) {
		var err error
		m, err = fstree.Read(root, skip...)
		require.NoError(t, err)
	})
	return m
}

// capture runs `devcache-snapshotter capture` on a container of this env.
func (e *env) capture(t *testing.T, ctx context.Context, id, target string, args ...string) (map[string]any, error) {
	t.Helper()
	cmd := exec.CommandContext(ctx, pluginBin, append([]string{"capture",
		"--containerd-address", e.address, "--namespace", namespace, "--container", id,
		"--target", target, "--insecure", "--environment-class", "test-small", "--config-key", "sha256:itest",
		"--tmpdir", e.dir, "--rootfs-layers", "2"}, args...)...)
	cmd.Env = e.s.Env()
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Logf("capture stderr:\n%s", ee.Stderr)
		}
		return nil, err
	}
	var res map[string]any
	require.NoError(t, json.Unmarshal(out, &res), "%s", out)
	return res, nil
}

func fuseMountsUnder(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && strings.HasPrefix(f[4], dir+string(filepath.Separator)) && strings.Contains(line, " - fuse") {
			n++
		}
	}
	return n
}
