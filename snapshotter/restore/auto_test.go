//go:build linux

package restore_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/snapshotter/overlay"
	"github.com/devcache/devcache/snapshotter/restore"
)

// noRange makes the registry ignore Range headers (200 with the whole blob),
// as some registries and proxies do.
func noRange(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Range")
		next.ServeHTTP(w, r)
	})
}

// TestAutoPicksLazyOrFull: with range requests Auto mounts prebuild layers
// lazily (FUSE); without them it restores them fully; both give the
// captured tree.
func TestAutoPicksLazyOrFull(t *testing.T) {
	requiresRoot(t)
	if err := restore.FUSEAvailable(); err != nil {
		t.Skipf("FUSE unavailable: %v", err)
	}
	for _, tc := range []struct {
		name    string
		handler func(http.Handler) http.Handler
		fuse    bool
	}{
		{"range", nil, true},
		{"no-range", noRange, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.handler)
			lazy, err := restore.NewLazy(t.TempDir(), restore.DefaultLazyConfig())
			require.NoError(t, err)
			root := t.TempDir()
			sn, err := overlay.New(context.Background(), root, overlay.WithRemoteFS(restore.NewAuto(lazy, restore.NewFull())))
			require.NoError(t, err)
			defer sn.Close()
			top := f.restoreInto(t, sn)
			require.Equal(t, tc.fuse, isFUSEMountUnder(t, root))
			f.check(t, sn, top)
		})
	}
}
