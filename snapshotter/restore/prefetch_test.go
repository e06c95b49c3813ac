//go:build linux

package restore_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/snapshotter/overlay"
	"github.com/devcache/devcache/snapshotter/restore"
)

// blobCounter counts blob bytes the registry sends.
type blobCounter struct{ n atomic.Int64 }

func (c *blobCounter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
			w = &countingResponse{ResponseWriter: w, n: &c.n}
		}
		next.ServeHTTP(w, r)
	})
}

type countingResponse struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingResponse) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// TestLazyPrefetchesPrioritizedFiles: the files captured as prioritized are
// fetched while the layer is mounted, so reading them later costs no
// registry request; other files are fetched when read.
func TestLazyPrefetchesPrioritizedFiles(t *testing.T) {
	requiresRoot(t)
	if err := restore.FUSEAvailable(); err != nil {
		t.Skipf("FUSE unavailable: %v", err)
	}
	c := &blobCounter{}
	f := newFixture(t, c.wrap)
	cfg := restore.DefaultLazyConfig()
	cfg.NoBackgroundFetch = true // only on-demand fetches, so they can be counted
	lazy, err := restore.NewLazy(t.TempDir(), cfg)
	require.NoError(t, err)
	sn, err := overlay.New(context.Background(), t.TempDir(), overlay.WithRemoteFS(lazy))
	require.NoError(t, err)
	defer sn.Close()
	top := f.restoreInto(t, sn)

	mounts, err := sn.Prepare(context.Background(), "restored", top)
	require.NoError(t, err)
	withMount(t, mounts, func(dir string) {
		before := c.n.Load()
		b, err := os.ReadFile(filepath.Join(dir, "etc/passwd"))
		require.NoError(t, err)
		require.Contains(t, string(b), "dev:x:1000")
		require.Equal(t, before, c.n.Load(), "reading a prioritized file went to the registry")

		b, err = os.ReadFile(filepath.Join(dir, "big.bin"))
		require.NoError(t, err)
		require.Len(t, b, 1<<20)
		require.Greater(t, c.n.Load(), before, "reading a file that was not prefetched fetched nothing")
	})
}

// TestLazyBackgroundFetchCompletesLayers: with nothing read, the background
// fetch downloads the rest of the prebuild layers on its own.
func TestLazyBackgroundFetchCompletesLayers(t *testing.T) {
	requiresRoot(t)
	if err := restore.FUSEAvailable(); err != nil {
		t.Skipf("FUSE unavailable: %v", err)
	}
	c := &blobCounter{}
	f := newFixture(t, c.wrap)
	m, err := f.image.Manifest()
	require.NoError(t, err)
	var lazyBytes int64
	for _, l := range m.Layers[1:] { // the prebuild layers
		lazyBytes += l.Size
	}
	lazy, err := restore.NewLazy(t.TempDir(), restore.DefaultLazyConfig())
	require.NoError(t, err)
	sn, err := overlay.New(context.Background(), t.TempDir(), overlay.WithRemoteFS(lazy))
	require.NoError(t, err)
	defer sn.Close()
	start := c.n.Load() // the capture's own pulls of the base image
	f.restoreInto(t, sn)
	afterMount := c.n.Load() - start
	require.Eventually(t, func() bool { return c.n.Load()-start >= lazyBytes }, 30*time.Second, 100*time.Millisecond,
		"background fetch did not complete the %d bytes of prebuild layers", lazyBytes)
	t.Logf("fetched %d bytes while mounting, %d in total (prebuild layers: %d bytes)", afterMount, c.n.Load()-start, lazyBytes)
}
