package features

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFolderDigest(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), mode))
		require.NoError(t, os.Chmod(p, mode))
	}
	write("feat/devcontainer-feature.json", `{"id": "feat"}`, 0o644)
	write("feat/install.sh", "#!/bin/sh\n", 0o755)
	write("feat/lib/x.sh", "x", 0o644)
	ctx := context.Background()

	d1, err := FolderDigest(ctx, DirFS(dir), "feat")
	require.NoError(t, err)
	d2, err := FolderDigest(ctx, DirFS(filepath.Join(dir, "feat")), "/")
	require.NoError(t, err)
	assert.Equal(t, d1, d2, "paths are relative to the Feature folder")

	write("feat/lib/x.sh", "y", 0o644)
	d3, err := FolderDigest(ctx, DirFS(dir), "feat")
	require.NoError(t, err)
	assert.NotEqual(t, d1, d3, "content")

	require.NoError(t, os.Chmod(filepath.Join(dir, "feat/lib/x.sh"), 0o755))
	d4, err := FolderDigest(ctx, DirFS(dir), "feat")
	require.NoError(t, err)
	assert.NotEqual(t, d3, d4, "mode")

	require.NoError(t, os.Chtimes(filepath.Join(dir, "feat/lib/x.sh"), time.Unix(0, 0), time.Unix(0, 0)))
	d5, err := FolderDigest(ctx, DirFS(dir), "feat")
	require.NoError(t, err)
	assert.Equal(t, d4, d5, "times are not content")
}
