package container

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHostRoot(t *testing.T) {
	// This process's own root is the host's "/" mount.
	root, err := hostRoot("self", "/proc/self/root")
	require.NoError(t, err)
	require.Equal(t, "/", root)

	_, err = hostRoot("gone", "/proc/0/root")
	require.Error(t, err)
}
