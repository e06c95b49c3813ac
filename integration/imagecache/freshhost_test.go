package imagecache

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/integration/testenv"
)

// freshRunner is a runner on a fresh host (testenv.FreshHost): its own
// containerd, content store and devcache-snapshotter. lazy pulls into the
// snapshotter ("devcache"), otherwise into overlayfs (a full pull).
type freshRunner struct {
	*runner
	host *testenv.FreshHost
}

func (e *env) freshHost(dir string, pluginArgs ...string) *testenv.FreshHost {
	e.t.Helper()
	return e.s.FreshHost(e.t, dir, snapshotterBin, pluginArgs...)
}

// onHost returns a runner whose runtime is host's containerd.
func (e *env) onHost(name string, host *testenv.FreshHost, lazy bool) *freshRunner {
	e.t.Helper()
	r := e.runner(name)
	cc, err := containerd.New(host.Address, containerd.WithTimeout(10*time.Second))
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = cc.Close() })
	rt := &imagecache.Containerd{Client: cc, Namespace: r.ns, Snapshotter: "overlayfs"}
	if lazy {
		rt.Snapshotter, rt.Remote, rt.RemoteAuth = "devcache", true, imagecache.DockerConfigAuth(host.DockerConfig)
	}
	r.cache.Runtime, r.cc = rt, cc
	return &freshRunner{runner: r, host: host}
}

// run starts a container of image on the runner's host and returns its
// output (ctr run --rm).
func (r *freshRunner) run(t testing.TB, image string, args ...string) (string, error) {
	t.Helper()
	sn := r.cache.Runtime.(*imagecache.Containerd).Snapshotter
	ctx := t.Context()
	return r.host.Ctr(ctx, r.ns, append([]string{"run", "--rm", "--snapshotter", sn, image, fmt.Sprintf("c-%d", time.Now().UnixNano())}, args...)...)
}

func shortDir(t testing.TB) string {
	t.Helper()
	d, err := filepath.Abs(t.TempDir())
	require.NoError(t, err)
	return d
}
