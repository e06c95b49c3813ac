package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v1.2.3"
	got := String("devcache")
	if !strings.HasPrefix(got, "devcache github.com/devcache/devcache v1.2.3 ") {
		t.Fatalf("String() = %q", got)
	}
}

// Without -ldflags the version and revision come from the build info.
func TestFallsBackToBuildInfo(t *testing.T) {
	old := readBuildInfo
	t.Cleanup(func() { readBuildInfo = old })
	readBuildInfo = func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{
			Main:     debug.Module{Path: Package, Version: "v0.3.1-0.20261207101500-0123456789ab+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.modified", Value: "true"}},
		}, true
	}
	got := String("devcache")
	want := "devcache github.com/devcache/devcache v0.3.1-0.20261207101500-0123456789ab+dirty 0123456789abcdef.m go"
	if !strings.HasPrefix(got, want) {
		t.Fatalf("String() = %q, want prefix %q", got, want)
	}
}

// A build with no version information at all (a plain `go build` with
// -buildvcs=false, or outside a git checkout) still prints the placeholder.
func TestNoBuildInfo(t *testing.T) {
	old := readBuildInfo
	t.Cleanup(func() { readBuildInfo = old })
	readBuildInfo = func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Path: Package, Version: "(devel)"}}, true
	}
	if got := String("devcache"); !strings.HasPrefix(got, "devcache github.com/devcache/devcache v0.0.0+unknown unknown go") {
		t.Fatalf("String() = %q", got)
	}
}
