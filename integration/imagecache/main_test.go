package imagecache

import (
	"flag"
	"os"
	"testing"

	"github.com/devcache/devcache/integration/testenv"
)

// snapshotterBin is devcache-snapshotter, built once for the package's
// fresh runner hosts; proxyBin is devcache-proxy, for the replica tests.
var snapshotterBin, proxyBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testenv.RunWithBinaries(m, map[string]*string{
		"github.com/devcache/devcache/cmd/devcache-snapshotter": &snapshotterBin,
		"github.com/devcache/devcache/cmd/devcache-proxy":       &proxyBin,
	}))
}
