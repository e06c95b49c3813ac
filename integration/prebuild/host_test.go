package prebuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/catalog"
	"github.com/devcache/devcache/prebuild/container"
	"github.com/devcache/devcache/prebuild/environment"
	"github.com/devcache/devcache/prebuild/inflight"
	"github.com/devcache/devcache/prebuild/runner"
)

const namespace = "devcache-prebuild-test"

// host is one runner host: a devcache-snapshotter plugin and a containerd
// using it, each with its own state, plus the host's prebuild state dir.
type host struct {
	s          *testenv.Stack
	dir        string
	plugin     *testenv.Proc
	containerd *testenv.Proc
	client     *containerd.Client
	state      string
}

// newHost starts a runner host under dir (keep it short: unix sockets);
// pluginEnv is added to the plugin's environment.
func newHost(t *testing.T, s *testenv.Stack, dir string, pluginEnv ...string) *host {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o700))
	h := &host{s: s, dir: dir, state: filepath.Join(dir, "state")}
	pluginRoot, pluginSock := filepath.Join(dir, "plugin"), filepath.Join(dir, "p.sock")
	h.plugin = testenv.StartProc(t, filepath.Join(dir, "plugin.log"), append(os.Environ(), pluginEnv...), pluginBin,
		"--root", pluginRoot, "--address", pluginSock, "--insecure-registry", s.Registry, "--log-level", "debug")
	h.plugin.WaitSocket(t, pluginSock)
	var address string
	h.containerd, address = s.StartContainerd(t, dir, pluginSock, pluginRoot)
	var err error
	h.client, err = containerd.New(address, containerd.WithDefaultNamespace(namespace))
	require.NoError(t, err)
	t.Cleanup(func() {
		h.client.Close()
		h.containerd.Stop(t, syscall.SIGTERM)
		h.plugin.Stop(t, syscall.SIGTERM)
		h.unmountAll(t)
	})
	return h
}

// unmountAll detaches anything still mounted under the host's directory.
func (h *host) unmountAll(t *testing.T) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		f := strings.Fields(lines[i])
		if len(f) > 4 && strings.HasPrefix(f[4], h.dir+"/") {
			if err := unix.Unmount(f[4], unix.MNT_DETACH); err != nil {
				t.Logf("unmount %s: %v", f[4], err)
			}
		}
	}
}

func (h *host) catalog() *catalog.Registry {
	return &catalog.Registry{Host: h.s.Registry}
}

func (h *host) runner(t *testing.T) *runner.Runner {
	st, err := inflight.Open(h.state)
	require.NoError(t, err)
	return &runner.Runner{
		Client: h.client, Namespace: namespace, Snapshotter: "devcache",
		Images: fixedImage{h.s.BusyboxImage()}, Recorder: h.catalog(), Catalog: h.catalog(), InFlight: st,
		Registry: h.s.Registry, StateDir: h.state,
		Pull: container.PullOptions{Snapshotter: "devcache", PlainHTTP: []string{h.s.Registry}},
	}
}

func (h *host) creator() *environment.Creator {
	return &environment.Creator{
		Client: h.client, Namespace: namespace, Snapshotter: "devcache",
		Catalog: h.catalog(), Images: fixedImage{h.s.BusyboxImage()}, StateDir: h.state,
		Pull: container.PullOptions{Snapshotter: "devcache", PlainHTTP: []string{h.s.Registry}},
	}
}

// containers lists the host's containers.
func (h *host) containers(t *testing.T, ctx context.Context) []string {
	cs, err := h.client.Containers(ctx)
	require.NoError(t, err)
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID())
	}
	return ids
}

// fixedImage is the image step for tests: an image already in the
// registry, keyed by the devcontainer.json's content. (The image cache's
// own tests cover building.)
type fixedImage struct{ ref string }

func (f fixedImage) Image(_ context.Context, _, folder, config string) (*prebuild.Image, error) {
	if !filepath.IsAbs(config) {
		config = filepath.Join(folder, config)
	}
	b, err := os.ReadFile(config)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return &prebuild.Image{Ref: f.ref, ConfigKey: "sha256:" + hex.EncodeToString(sum[:])}, nil
}

// newProject writes a workspace with a devcontainer.json and returns its
// folder and config path.
func newProject(t *testing.T, devcontainerJSON string, files map[string]string) (string, string) {
	ws := filepath.Join(t.TempDir(), "repo")
	require.NoError(t, os.MkdirAll(filepath.Join(ws, ".devcontainer"), 0o755))
	cfg := filepath.Join(ws, ".devcontainer", "devcontainer.json")
	require.NoError(t, os.WriteFile(cfg, []byte(devcontainerJSON), 0o644))
	for name, body := range files {
		p := filepath.Join(ws, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return ws, cfg
}

// projectName returns a fresh project id.
func projectName(t *testing.T) string {
	return fmt.Sprintf("itest-%d", time.Now().UnixNano())
}

var (
	containerdKill            = containerd.WithProcessKill
	containerdSnapshotCleanup = containerd.WithSnapshotCleanup
)
