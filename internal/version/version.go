// Package version holds the build's version, set at link time:
//
//	go build -ldflags "-X github.com/devcache/devcache/internal/version.Version=v0.1.0 \
//	    -X github.com/devcache/devcache/internal/version.Revision=$(git rev-parse HEAD)"
//
// A plain `go build` sets neither; the version then comes from the build
// information the go command stamps into every binary
// (runtime/debug.ReadBuildInfo: the module's version, or the VCS pseudo
// version and revision of the checkout it was built in).
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// unknown is Version's value when the linker did not set it.
const unknown = "v0.0.0+unknown"

var (
	// Version is the release version (a git describe string in development builds).
	Version = unknown
	// Revision is the git commit the binary was built from.
	Revision = ""
	// Package is the module path, as containerd and buildkit print it.
	Package = "github.com/devcache/devcache"
)

// Info is what a binary knows of the build it is.
type Info struct {
	Version, Revision string
	// Modified reports a build from a checkout with uncommitted changes.
	Modified bool
}

// readBuildInfo is debug.ReadBuildInfo, replaced in tests.
var readBuildInfo = debug.ReadBuildInfo

// Get returns the version and revision: the linker's when it set them,
// the go command's build information otherwise.
func Get() Info {
	i := Info{Version: Version, Revision: Revision}
	bi, ok := readBuildInfo()
	if !ok {
		return i
	}
	if i.Version == unknown && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		i.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if i.Revision == "" {
				i.Revision = s.Value
			}
		case "vcs.modified":
			i.Modified = s.Value == "true" && Revision == ""
		}
	}
	return i
}

// String renders the line every devcache binary prints for --version:
// "<name> <package> <version> <revision> <go version>"; a revision built
// with uncommitted changes ends in ".m", as containerd's does.
func String(name string) string {
	i := Get()
	rev := i.Revision
	if rev == "" {
		rev = "unknown"
	} else if i.Modified {
		rev += ".m"
	}
	return fmt.Sprintf("%s %s %s %s %s", name, Package, i.Version, rev, runtime.Version())
}
