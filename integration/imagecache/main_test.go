package imagecache

import (
	"flag"
	"os"
	"testing"

	"github.com/devcache/devcache/integration/testenv"
)

// snapshotterBin is devcache-snapshotter, built once for the package's
// fresh runner hosts.
var snapshotterBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testenv.RunWithBinary(m, &snapshotterBin, "github.com/devcache/devcache/cmd/devcache-snapshotter"))
}
