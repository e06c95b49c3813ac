package version

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v1.2.3"
	got := String("devcache")
	if !strings.HasPrefix(got, "devcache github.com/devcache/devcache v1.2.3 unknown go") {
		t.Fatalf("String() = %q", got)
	}
}
