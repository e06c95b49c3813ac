// Package version holds the build's version, set at link time:
//
//	go build -ldflags "-X github.com/devcache/devcache/internal/version.Version=v0.1.0 \
//	    -X github.com/devcache/devcache/internal/version.Revision=$(git rev-parse HEAD)"
package version

import (
	"fmt"
	"runtime"
)

var (
	// Version is the release version (a git describe string in development builds).
	Version = "v0.0.0+unknown"
	// Revision is the git commit the binary was built from.
	Revision = ""
	// Package is the module path, as containerd and buildkit print it.
	Package = "github.com/devcache/devcache"
)

// String renders the line every devcache binary prints for --version:
// "<name> <package> <version> <revision> <go version>".
func String(name string) string {
	rev := Revision
	if rev == "" {
		rev = "unknown"
	}
	return fmt.Sprintf("%s %s %s %s %s", name, Package, Version, rev, runtime.Version())
}
