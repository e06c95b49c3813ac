package tomlconfig

import (
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type sample struct {
	Version int      `toml:"version"`
	Wait    Duration `toml:"wait"`
	Name    string   `toml:"name"`
}

func TestDecode(t *testing.T) {
	var s sample
	require.NoError(t, Decode([]byte("version = 2\nwait = \"90s\"\nname = \"x\"\n"), 2, &s))
	assert.Equal(t, 90*time.Second, s.Wait.Duration)
	assert.Equal(t, "x", s.Name)
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"version", "version = 1\n", "config version 1 is not supported: set version = 2"},
		{"unknown key", "version = 2\nnmae = \"x\"\n", "nmae"},
		{"type at its place", "version = 2\nname = 3\n", "line 2, column 8: name"},
		{"bad duration", "version = 2\nwait = \"soon\"\n", "soon"},
		{"syntax", "version = 2\nname = \n", "line 2, column"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s sample
			err := Decode([]byte(tc.in), 2, &s)
			require.ErrorIs(t, err, errdefs.ErrInvalidArgument)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
