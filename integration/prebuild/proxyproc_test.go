package prebuild

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

// buildBins builds the named commands (cmd/<name>) into dir.
func buildBins(t *testing.T, ctx context.Context, dir string, names ...string) map[string]string {
	t.Helper()
	bins := map[string]string{}
	for _, b := range names {
		bins[b] = filepath.Join(dir, b)
		out, err := exec.CommandContext(ctx, "go", "build", "-o", bins[b], "github.com/devcache/devcache/cmd/"+b).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	return bins
}

// startProxy runs `devcache-proxy serve` (embedded registry) on a free
// loopback port with its state under dir/proxy and the extra args; it
// returns the proxy's host:port and state directory (runners give it as
// --proxy-state-dir to get credentials from its admin socket).
func startProxy(t *testing.T, s *testenv.Stack, bin, dir string, args ...string) (host, state string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	host = l.Addr().String()
	require.NoError(t, l.Close())
	state = filepath.Join(dir, "proxy")
	p := testenv.StartProc(t, filepath.Join(dir, "proxy.log"), s.Env(), bin,
		append([]string{"serve", "--addr", host, "--debug-addr", "127.0.0.1:0", "--state-dir", state}, args...)...)
	p.WaitSocket(t, filepath.Join(state, "admin.sock"))
	return host, state
}
