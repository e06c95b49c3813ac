package keys

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadOrCreateIsStable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "keys.json")
	a, err := LoadOrCreate(p)
	require.NoError(t, err)
	st, err := os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	b, err := LoadOrCreate(p)
	require.NoError(t, err)
	require.Equal(t, a, b)
	_, err = a.KeySet()
	require.NoError(t, err)
}

func TestLoadRejectsBadFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keys.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"version":1,"signing_keys":[]}`), 0o600))
	_, err := Load(p)
	require.Error(t, err)
	require.NoError(t, os.WriteFile(p, []byte(`{"version":2}`), 0o600))
	_, err = Load(p)
	require.Error(t, err)
}

func TestRotate(t *testing.T) {
	f, err := Generate()
	require.NoError(t, err)
	first := f.SigningKeys[0].ID
	for range 3 {
		_, err := f.Rotate(2)
		require.NoError(t, err)
	}
	require.Len(t, f.SigningKeys, 2)
	require.NotEqual(t, first, f.SigningKeys[0].ID)
	require.NotEqual(t, f.SigningKeys[0].ID, f.SigningKeys[1].ID)
	_, err = f.KeySet()
	require.NoError(t, err)
}
