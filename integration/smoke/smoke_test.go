package smoke

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

// TestBuildPushPullRun builds an LLB graph on buildkitd that runs a command
// in the busybox image, pushes the result, then pulls it into containerd and
// runs a container from it with runc, reading what the build wrote.
func TestBuildPushPullRun(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	nonce := fmt.Sprintf("%d", time.Now().UnixNano())
	ref := fmt.Sprintf("%s/smoke/hello:%s", s.Registry, nonce)
	dgst := buildAndPush(ctx, t, s, ref, nonce)

	out := pullAndRun(ctx, t, s, ref, dgst, "smoke-"+nonce)
	require.Equal(t, "built by buildkitd "+nonce+"\nLinux\n", out)
}

func buildAndPush(ctx context.Context, t *testing.T, s *testenv.Stack, ref, nonce string) string {
	t.Helper()
	c, err := bkclient.New(ctx, s.BuildkitHost)
	require.NoError(t, err)
	defer c.Close()

	st := llb.Image(s.BusyboxImage()).
		Run(llb.Shlex(fmt.Sprintf(`sh -c "echo built by buildkitd %s > /hello.txt && uname -s >> /hello.txt"`, nonce)),
			llb.WithCustomName("write /hello.txt")).Root()
	def, err := st.Marshal(ctx)
	require.NoError(t, err)

	resp, err := c.Solve(ctx, def, bkclient.SolveOpt{
		Exports: []bkclient.ExportEntry{{
			Type:  bkclient.ExporterImage,
			Attrs: map[string]string{"name": ref, "push": "true"},
		}},
	}, nil)
	require.NoError(t, err)
	dgst := resp.ExporterResponse[exptypes.ExporterImageDigestKey]
	require.True(t, strings.HasPrefix(dgst, "sha256:"), "exporter returned digest %q", dgst)
	return dgst
}

func pullAndRun(ctx context.Context, t *testing.T, s *testenv.Stack, ref, wantDigest, id string) string {
	t.Helper()
	c, err := containerd.New(s.ContainerdAddress)
	require.NoError(t, err)
	defer c.Close()
	ctx = namespaces.WithNamespace(ctx, "devcache-smoke")

	resolver := docker.NewResolver(docker.ResolverOptions{
		Hosts: docker.ConfigureDefaultRegistries(docker.WithPlainHTTP(docker.MatchLocalhost)),
	})
	img, err := c.Pull(ctx, ref, containerd.WithPullUnpack, containerd.WithResolver(resolver))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.ImageService().Delete(context.WithoutCancel(ctx), ref) })
	require.Equal(t, wantDigest, img.Target().Digest.String(), "containerd pulled what buildkitd pushed")

	ctr, err := c.NewContainer(ctx, id,
		containerd.WithNewSnapshot(id+"-rootfs", img),
		containerd.WithNewSpec(oci.WithImageConfig(img), oci.WithProcessArgs("cat", "/hello.txt")))
	require.NoError(t, err)
	defer func() { _ = ctr.Delete(context.WithoutCancel(ctx), containerd.WithSnapshotCleanup) }()

	var stdout, stderr bytes.Buffer
	task, err := ctr.NewTask(ctx, cio.NewCreator(cio.WithStreams(nil, &stdout, &stderr)))
	require.NoError(t, err)
	defer func() { _, _ = task.Delete(context.WithoutCancel(ctx)) }()

	exitCh, err := task.Wait(ctx)
	require.NoError(t, err)
	require.NoError(t, task.Start(ctx))
	status := <-exitCh
	code, _, err := status.Result()
	require.NoError(t, err)
	require.Zero(t, code, "container exited non-zero; stderr: %s", stderr.String())
	// The IO copy goroutines finish once the task is deleted.
	_, err = task.Delete(ctx)
	require.NoError(t, err)
	return stdout.String()
}
