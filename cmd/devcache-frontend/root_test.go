package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRootByHand(t *testing.T) {
	t.Setenv("BUILDKIT_SESSION_ID", "")
	for _, args := range [][]string{{"--version"}, {}, {"--help"}} {
		root := newRootCommand()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(args)
		require.NoError(t, root.ExecuteContext(t.Context()), args)
		assert.Contains(t, out.String(), "devcache-frontend", args)
	}
	root := newRootCommand()
	root.SetArgs([]string{"extra"})
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	assert.Error(t, root.ExecuteContext(t.Context()), "positional arguments are refused")
}
