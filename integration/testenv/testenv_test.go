package testenv

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseExports(t *testing.T) {
	vars := parseExports([]byte("# comment\nexport BUILDKIT_HOST=unix:///run/b.sock\nexport DEVCACHE_REGISTRY='127.0.0.1:5765'\nnoise\n"))
	require.Equal(t, "unix:///run/b.sock", vars["BUILDKIT_HOST"])
	require.Equal(t, "127.0.0.1:5765", vars["DEVCACHE_REGISTRY"])
	require.Len(t, vars, 2)
}
