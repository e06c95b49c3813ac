package imagecache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/integration/testenv"
)

// cli is a runner host driven as in production: the devcache binary
// against a devcache-proxy process, images into the stack's containerd in
// a namespace of the test's own.
type cli struct {
	s         *testenv.Stack
	bin       string
	proxyBin  string
	proxy     *testenv.Proc
	proxyHost string
	pstate    string
	ns        string
	cc        *containerd.Client
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	s := testenv.Get(t)
	dir := t.TempDir()
	c := &cli{s: s, bin: filepath.Join(dir, "devcache"), proxyBin: filepath.Join(dir, "devcache-proxy"),
		pstate: filepath.Join(dir, "proxy"), ns: fmt.Sprintf("it-cli-%d", time.Now().UnixNano())}
	for b, dst := range map[string]string{"devcache": c.bin, "devcache-proxy": c.proxyBin} {
		out, err := exec.CommandContext(t.Context(), "go", "build", "-o", dst, "github.com/devcache/devcache/cmd/"+b).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	c.proxyHost = l.Addr().String()
	require.NoError(t, l.Close())
	c.proxy = testenv.StartProc(t, filepath.Join(dir, "proxy.log"), s.Env(), c.proxyBin, "serve",
		"--addr", c.proxyHost, "--debug-addr", "127.0.0.1:0", "--state-dir", c.pstate)
	c.proxy.WaitSocket(t, filepath.Join(c.pstate, "admin.sock"))
	c.cc, err = containerd.New(s.ContainerdAddress)
	require.NoError(t, err)
	t.Cleanup(func() {
		cleanNamespace(c.cc, c.ns)
		_ = c.cc.Close()
	})
	return c
}

// cliRun is what one `devcache build --result-format json` did.
type cliRun struct {
	res            imagecache.Result
	stdout, stderr string
	exit           int
}

// build runs `devcache build` on ws for project with extra flags.
func (c *cli) build(t *testing.T, ws, project string, extra ...string) cliRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	args := append([]string{"build", "--workspace-folder", ws, "--result-format", "json", "--progress", "quiet",
		"--proxy", c.proxyHost, "--proxy-state-dir", c.pstate, "--buildkit-host", c.s.BuildkitHost,
		"--containerd-address", c.s.ContainerdAddress, "--namespace", c.ns, "--project", project}, extra...)
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = c.s.Env()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliRun{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.exit = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &r.res), "one JSON object on stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	return r
}
