package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runKey runs `devcache key` on a Dockerfile configuration (no registry).
func runKey(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"key", "--workspace-folder", dir}, args...))
	err := root.Execute()
	return out.String(), err
}

func TestKeyPlatform(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".devcontainer"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".devcontainer", "devcontainer.json"), []byte(`{"build": {"dockerfile": "Dockerfile"}}`), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".devcontainer", "Dockerfile"), []byte("FROM scratch\n"), 0o600))
	key := func(args ...string) keyOutput {
		out, err := runKey(t, dir, append([]string{"--result-format", "json"}, args...)...)
		require.NoError(t, err, out)
		var k keyOutput
		require.NoError(t, json.Unmarshal([]byte(out), &k), out)
		return k
	}
	amd, arm := key("--platform", "linux/amd64"), key("--platform", "linux/arm64/v8")
	assert.NotEqual(t, amd.Key, arm.Key, "two platforms, two keys")
	assert.Equal(t, arm.Key, key("--platform", "linux/arm64").Key, "normalised as containerd does")
	t.Setenv("DEVCACHE_PLATFORM", "linux/arm64")
	assert.Equal(t, arm.Key, key().Key, "$DEVCACHE_PLATFORM")
	multi := key("--platform", "linux/arm64", "--platform", "linux/amd64")
	assert.Equal(t, multi.Key, key("--platform", "linux/amd64,linux/arm64/v8").Key)

	out, err := runKey(t, dir, "--explain", "--platform", "linux/arm64/v8,linux/amd64")
	require.NoError(t, err)
	assert.Contains(t, out, "  platform = linux/amd64,linux/arm64\n")

	out, err = runKey(t, dir, "--platform", "linux//arm64")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `--platform: platform "linux//arm64"`, out)
}
