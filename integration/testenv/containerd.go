package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// StartContainerd starts a containerd of the test's own under dir (keep it
// short: unix sockets), with devcache-snapshotter at pluginSock (root
// pluginRoot) configured as the proxy snapshotter "devcache" with remote
// snapshot annotations, the way contrib/snapshotter configures a runner
// host. unpack lists the snapshotters the transfer service unpacks into, in
// order (default: devcache). It returns the process and its socket.
func (s *Stack) StartContainerd(tb testing.TB, dir, pluginSock, pluginRoot string, unpack ...string) (*Proc, string) {
	tb.Helper()
	if len(unpack) == 0 {
		unpack = []string{"devcache"}
	}
	address := filepath.Join(dir, "c.sock")
	var cfg strings.Builder
	fmt.Fprintf(&cfg, `version = 3
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime"]
[grpc]
  address = %q
[ttrpc]
  address = %q
[proxy_plugins.devcache]
  type = "snapshot"
  address = %q
  [proxy_plugins.devcache.exports]
    root = %q
    enable_remote_snapshot_annotations = "true"
`, filepath.Join(dir, "containerd-root"), filepath.Join(dir, "containerd-state"), address, address+".ttrpc", pluginSock, pluginRoot)
	for _, sn := range unpack {
		fmt.Fprintf(&cfg, "[[plugins.\"io.containerd.transfer.v1.local\".unpack_config]]\n  platform = %q\n  snapshotter = %q\n", "linux/"+runtime.GOARCH, sn)
	}
	cfgPath := filepath.Join(dir, "containerd.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	p := StartProc(tb, filepath.Join(dir, "containerd.log"), s.Env(), filepath.Join(s.ToolsBin, "containerd"), "--config", cfgPath)
	p.WaitSocket(tb, address)
	return p, address
}
