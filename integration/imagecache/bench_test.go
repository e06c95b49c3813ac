package imagecache

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
)

// BenchmarkKey computes the demo workspace's key on the host, as `devcache
// build` does before its lookup: parse, resolve the image digest from the
// registry, hash the local Features.
func BenchmarkKey(b *testing.B) {
	s := testenvGet(b)
	ws := demoWorkspace(b)
	config := mustRead(b, ws.Config)
	vars := imagecache.ReadVariables(ws, config, func(n string) (string, bool) {
		if n == "DEVCACHE_REGISTRY" {
			return s.Registry, true
		}
		return "", false
	})
	for b.Loop() {
		_, err := imagecache.HostKeyer{}.Inputs(b.Context(), ws, config, vars, nil)
		require.NoError(b, err)
	}
}

// BenchmarkLookup is a cache lookup through devcache-proxy on loopback (a
// hit: manifest and config fetched with a runner credential), and
// BenchmarkLookup/direct the same lookup against the backing registry.
func BenchmarkLookup(b *testing.B) {
	s := testenvGet(b)
	p := startProxy(b)
	creds, err := p.Issue(b.Context(), "bench", contract.PurposeCreate)
	require.NoError(b, err)
	ref := p.host + "/" + contract.RepositoryName("bench", contract.KindImageBuild) + ":latest"
	require.NoError(b, copyImage(s.BusyboxImage(), ref, creds))
	reg := &imagecache.OCIRegistry{}
	b.Run("proxy", func(b *testing.B) {
		for b.Loop() {
			_, err := reg.Lookup(b.Context(), ref, creds)
			require.NoError(b, err)
		}
	})
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			_, err := reg.Lookup(b.Context(), s.BusyboxImage(), nil)
			require.NoError(b, err)
		}
	})
}

func demoWorkspace(b *testing.B) imagecache.Workspace {
	b.Helper()
	root := testenvGet(b).RepoRoot
	dir := filepath.Join(root, "examples", "devcontainer")
	return imagecache.Workspace{Folder: dir, Config: filepath.Join(dir, ".devcontainer", "devcontainer.json")}
}

func mustRead(b *testing.B, p string) []byte {
	b.Helper()
	dt, err := os.ReadFile(p)
	require.NoError(b, err)
	return dt
}
