package snapshotter

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/devcache/devcache/integration/testenv"
)

// env is one containerd + plugin pair with their own state.
type env struct {
	s          *testenv.Stack
	dir        string
	plugin     *testenv.Proc
	pluginRoot string
	pluginSock string
	containerd *testenv.Proc
	address    string
}

// newEnv starts a plugin (root under dir/plugin) and a containerd whose
// config points [proxy_plugins.devcache] at it.
func newEnv(t *testing.T, s *testenv.Stack, dir string, pluginArgs ...string) *env {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o700))
	e := &env{s: s, dir: dir, pluginRoot: filepath.Join(dir, "plugin"), pluginSock: filepath.Join(dir, "p.sock"), address: filepath.Join(dir, "c.sock")}
	e.startPlugin(t, pluginArgs...)
	e.containerd, e.address = s.StartContainerd(t, dir, e.pluginSock, e.pluginRoot, "devcache", "overlayfs")
	t.Cleanup(func() { e.cleanupMounts(t) })
	return e
}

func (e *env) startPlugin(t *testing.T, args ...string) {
	t.Helper()
	args = append([]string{"--root", e.pluginRoot, "--address", e.pluginSock, "--insecure-registry", e.s.Registry, "--log-level", "debug"}, args...)
	e.plugin = testenv.StartProc(t, filepath.Join(e.dir, fmt.Sprintf("plugin-%d.log", time.Now().UnixNano())), os.Environ(), pluginBin, args...)
	e.plugin.WaitSocket(t, e.pluginSock)
}

// ctr runs ctr against this containerd in the "devcache-test" namespace.
func (e *env) ctr(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	out, err := e.ctrErr(ctx, args...)
	require.NoError(t, err, "ctr %s:\n%s\ncontainerd log:\n%s\nplugin log:\n%s", strings.Join(args, " "), out, tail(e.containerd.Log()), tail(e.plugin.Log()))
	return out
}

func (e *env) ctrErr(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(e.s.ToolsBin, "ctr"), append([]string{"--address", e.address, "--namespace", "devcache-test"}, args...)...)
	cmd.Env = e.s.Env()
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if err != nil {
		return out.String() + stderr.String(), err
	}
	return out.String(), nil
}

// stop stops containerd and the plugin (containers must be gone).
func (e *env) stop(t *testing.T) {
	e.containerd.Stop(t, syscall.SIGTERM)
	e.plugin.Stop(t, syscall.SIGTERM)
	e.cleanupMounts(t)
}

// cleanupMounts detaches anything still mounted under the env's directory
// (container rootfs of killed shims, FUSE layers of a killed plugin).
func (e *env) cleanupMounts(t *testing.T) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		f := strings.Fields(lines[i])
		if len(f) > 4 && strings.HasPrefix(f[4], e.dir+"/") {
			if err := unix.Unmount(f[4], unix.MNT_DETACH); err != nil {
				t.Logf("unmount %s: %v", f[4], err)
			}
		}
	}
}

func tail(s string) string {
	if len(s) > 6000 {
		return "…" + s[len(s)-6000:]
	}
	return s
}
