package snapshotter

import (
	"flag"
	"os"
	"testing"

	"github.com/devcache/devcache/integration/testenv"
)

// pluginBin is the devcache-snapshotter binary built once for the package.
var pluginBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testenv.RunWithBinary(m, &pluginBin, "github.com/devcache/devcache/cmd/devcache-snapshotter"))
}
