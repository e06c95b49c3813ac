package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/prebuild/lifecycle"
)

func TestSecretFlags(t *testing.T) {
	t.Setenv("NPM_TOKEN", "from-env")
	file := filepath.Join(t.TempDir(), "npmrc")
	require.NoError(t, os.WriteFile(file, []byte("//registry/:_authToken=x\n"), 0o600))
	s := secretFlags{
		values: []string{"org:NPM_TOKEN", "project:API=v1", "user:MINE=u"},
		files:  []string{"project:NPMRC=" + file},
	}
	got, err := s.parse()
	require.NoError(t, err)
	require.Equal(t, lifecycle.Secrets{
		{Name: "NPM_TOKEN", Scope: lifecycle.ScopeOrganization, Value: []byte("from-env")},
		{Name: "API", Scope: lifecycle.ScopeProject, Value: []byte("v1")},
		{Name: "MINE", Scope: lifecycle.ScopeUser, Value: []byte("u")},
		{Name: "NPMRC", Scope: lifecycle.ScopeProject, Value: []byte("//registry/:_authToken=x\n"), AsFile: true},
	}, got)
	require.Len(t, got.ForPrebuild(), 3, "the user secret is dropped for prebuilds")

	for _, bad := range []string{"NOSCOPE", "team:X=1", "org:../x=1"} {
		_, err := (&secretFlags{values: []string{bad}}).parse()
		require.Error(t, err, bad)
	}
}
