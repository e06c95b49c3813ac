package prebuild

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// pluginBin is the devcache-snapshotter binary built once for the package.
var pluginBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() || os.Geteuid() != 0 {
		os.Exit(m.Run()) // every test skips through testenv.Get
	}
	dir, err := os.MkdirTemp("", "dcp-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pluginBin = filepath.Join(dir, "devcache-snapshotter")
	build := exec.Command("go", "build", "-o", pluginBin, "github.com/devcache/devcache/cmd/devcache-snapshotter")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building devcache-snapshotter:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
