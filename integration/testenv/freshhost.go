package testenv

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

	"golang.org/x/sys/unix"
)

// FreshHost is a runner host as a new machine has it: a devcache-snapshotter
// with its own root and a containerd with its own root (an empty content
// store) that uses it as the proxy snapshotter "devcache", and can unpack
// into overlayfs for full pulls. Warm-start benchmarks and lazy-start tests
// run on fresh hosts, never in another namespace of the stack's containerd
// (whose content store already holds the layers); hack/lib/freshhost.sh is
// the same host for the shell scripts (hack/demo, hack/bench-imagecache).
type FreshHost struct {
	s *Stack
	// Dir holds everything of the host (keep it short: unix sockets).
	Dir string
	// Address is containerd's socket.
	Address string
	// PluginBin, PluginRoot and PluginSock are the snapshotter's binary,
	// root and socket; PluginArgs its extra flags.
	PluginBin, PluginRoot, PluginSock string
	PluginArgs                        []string
	// DockerConfig is the snapshotter's $DOCKER_CONFIG: the credentials it
	// fetches layers with (imagecache.DockerConfigAuth writes them).
	DockerConfig string
	Plugin       *Proc
	Containerd   *Proc
}

// FreshHost starts a fresh runner host under dir with the
// devcache-snapshotter binary pluginBin and its extra flags pluginArgs; it
// is stopped, and everything mounted under dir detached, when tb ends.
func (s *Stack) FreshHost(tb testing.TB, dir, pluginBin string, pluginArgs ...string) *FreshHost {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	h := &FreshHost{
		s: s, Dir: dir, PluginBin: pluginBin, PluginArgs: pluginArgs,
		PluginRoot: filepath.Join(dir, "plugin"), PluginSock: filepath.Join(dir, "p.sock"),
		DockerConfig: filepath.Join(dir, "docker"),
	}
	if err := os.MkdirAll(h.DockerConfig, 0o700); err != nil {
		tb.Fatal(err)
	}
	h.StartPlugin(tb)
	h.Containerd, h.Address = s.StartContainerd(tb, dir, h.PluginSock, h.PluginRoot, "devcache", "overlayfs")
	tb.Cleanup(func() { h.Stop(tb) })
	return h
}

// Stop stops the host's containerd and snapshotter and detaches what they
// mounted (again at tb's end is a no-op). A benchmark stops a host after its
// leg, so its background fetch does not compete with the next leg.
func (h *FreshHost) Stop(tb testing.TB) {
	h.Containerd.Stop(tb, syscall.SIGTERM)
	h.Plugin.Stop(tb, syscall.SIGTERM)
	h.UnmountAll(tb)
}

// StartPlugin starts (or, after Plugin.Stop, restarts) the snapshotter.
func (h *FreshHost) StartPlugin(tb testing.TB) {
	tb.Helper()
	args := append([]string{"--root", h.PluginRoot, "--address", h.PluginSock, "--log-level", "debug"}, h.PluginArgs...)
	h.Plugin = StartProc(tb, filepath.Join(h.Dir, fmt.Sprintf("plugin-%d.log", time.Now().UnixNano())),
		append(os.Environ(), "DOCKER_CONFIG="+h.DockerConfig), h.PluginBin, args...)
	h.Plugin.WaitSocket(tb, h.PluginSock)
}

// Ctr runs ctr against the host's containerd in namespace ns.
func (h *FreshHost) Ctr(ctx context.Context, ns string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(h.s.ToolsBin, "ctr"), append([]string{"--address", h.Address, "--namespace", ns}, args...)...)
	cmd.Env = h.s.Env()
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return out.String() + stderr.String(), fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out.String(), nil
}

// UnmountAll detaches everything mounted under the host's directory
// (container root filesystems, FUSE layers), innermost first.
func (h *FreshHost) UnmountAll(tb testing.TB) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		f := strings.Fields(lines[i])
		if len(f) > 4 && strings.HasPrefix(f[4], h.Dir+"/") {
			if err := unix.Unmount(f[4], unix.MNT_DETACH); err != nil {
				tb.Logf("unmount %s: %v", f[4], err)
			}
		}
	}
}
