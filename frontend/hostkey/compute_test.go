package hostkey

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/frontend/features"
)

func TestComputeOffline(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	write("Dockerfile", "FROM scratch\n")
	write("devcontainer.json", `{"build": {"dockerfile": "Dockerfile"}, "features": {"./b": {}, "./a": {}}}`)
	write("a/devcontainer-feature.json", `{"id": "a", "version": "1", "installsAfter": ["./b"]}`)
	write("b/devcontainer-feature.json", `{"id": "b", "version": "1"}`)
	path := filepath.Join(dir, "devcontainer.json")

	in, err := Compute(t.Context(), path, Options{})
	require.NoError(t, err)
	var names []string
	for _, i := range in.List() {
		names = append(names, i.Name)
	}
	assert.Equal(t, []string{"schema", "platform", "devcontainer.json", "dockerfile", "feature:./b", "feature:./a"}, names)

	again, err := Compute(t.Context(), path, Options{})
	require.NoError(t, err)
	assert.Equal(t, in.Key(), again.Key())

	write("a/install.sh", "#!/bin/sh\n")
	changed, err := Compute(t.Context(), path, Options{})
	require.NoError(t, err)
	d := cachekey.Diff(in.List(), changed.List())
	require.Len(t, d, 1)
	assert.Equal(t, "feature:./a", d[0].Name)

	write("b/devcontainer-feature.json", `{"id": "b", "version": "1", "installsAfter": ["./a"]}`)
	_, err = Compute(t.Context(), path, Options{})
	require.ErrorIs(t, err, features.ErrCycle, "a cycle")
}
