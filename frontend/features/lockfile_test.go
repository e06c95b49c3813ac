package features

import (
	"testing"

	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/devcontainer"
)

func TestLockfile(t *testing.T) {
	oci, err := ParseRef("ghcr.io/devcontainers/features/Go:1")
	require.NoError(t, err)
	local, err := ParseRef("./local")
	require.NoError(t, err)
	d := digest.FromString("manifest")
	fs := []*Feature{
		{Ref: oci, Resolved: &Resolved{Metadata: &Metadata{Version: "1.2.3", DependsOn: []devcontainer.Member{{Name: "z"}, {Name: "a"}}}, Digest: d, Canonical: "ghcr.io/devcontainers/features/go@" + d.String()}},
		{Ref: local, Resolved: &Resolved{Metadata: &Metadata{Version: "0.1.0"}}},
	}
	l := NewLockfile(fs)
	assert.Equal(t, `{
  "features": {
    "ghcr.io/devcontainers/features/Go:1": {
      "version": "1.2.3",
      "resolved": "ghcr.io/devcontainers/features/go@`+d.String()+`",
      "integrity": "`+d.String()+`",
      "dependsOn": [
        "a",
        "z"
      ]
    }
  }
}
`, string(l.Marshal()), "keys as written, local Features omitted, CLI formatting")

	back, err := ParseLockfile(l.Marshal())
	require.NoError(t, err)
	require.NoError(t, back.Check(fs[0]))
	fs[0].Digest = digest.FromString("moved")
	require.Error(t, back.Check(fs[0]))
	require.NoError(t, back.Check(fs[1]), "local Features are never pinned")

	empty, err := ParseLockfile([]byte("  \n"))
	require.NoError(t, err)
	assert.Empty(t, empty.Features)
	_, err = ParseLockfile([]byte("{"))
	require.Error(t, err)
}
