//go:build linux

package restore_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/snapshotter"
	"github.com/devcache/devcache/snapshotter/overlay"
	"github.com/devcache/devcache/snapshotter/restore"
)

// tamper serves blobs as they are until set; then every blob GET gets the
// body mangle returns (Range requests are served from the mangled body).
type tamper struct {
	mu     sync.Mutex
	mangle func([]byte) []byte
}

func (tp *tamper) set(f func([]byte) []byte) { tp.mu.Lock(); tp.mangle = f; tp.mu.Unlock() }

func (tp *tamper) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tp.mu.Lock()
		mangle := tp.mangle
		tp.mu.Unlock()
		if mangle == nil || r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/sha256:") {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		full := r.Clone(r.Context())
		full.Header.Del("Range")
		next.ServeHTTP(rec, full)
		if rec.Code != http.StatusOK {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(mangle(rec.Body.Bytes())))
	})
}

func flipAt(frac float64) func([]byte) []byte {
	return func(b []byte) []byte {
		c := bytes.Clone(b)
		c[int(float64(len(c))*frac)] ^= 0xff
		return c
	}
}

func truncate(b []byte) []byte { return b[:len(b)/2] }

// prebuildLabels returns the Prepare labels for the rootfs layer (index 1).
func (f *fixture) rootfsLabels(t *testing.T) map[string]string {
	t.Helper()
	m, err := f.image.Manifest()
	require.NoError(t, err)
	l := m.Layers[1]
	return map[string]string{
		snapshotter.LabelSnapshotRef:    "sha256:0000000000000000000000000000000000000000000000000000000000000000",
		snapshotter.LabelCRIImageRef:    f.target,
		snapshotter.LabelCRILayerDigest: l.Digest.String(),
		snapshotter.LabelTOCDigest:      l.Annotations[snapshotter.LabelTOCDigest],
	}
}

// TestFullRestoreRejectsBadBlobs: a corrupted or truncated blob is an
// error, the mountpoint is left empty, and the snapshotter does not report
// the layer as prepared (containerd then pulls it itself, and verifies it).
func TestFullRestoreRejectsBadBlobs(t *testing.T) {
	requiresRoot(t)
	tp := &tamper{}
	f := newFixture(t, tp.wrap)
	for name, mangle := range map[string]func([]byte) []byte{
		"corrupted": flipAt(0.5),
		"truncated": truncate,
	} {
		t.Run(name, func(t *testing.T) {
			tp.set(mangle)
			defer tp.set(nil)
			mp := filepath.Join(t.TempDir(), "fs")
			require.NoError(t, os.Mkdir(mp, 0o755))
			err := restore.NewFull().Mount(context.Background(), mp, f.rootfsLabels(t))
			require.Error(t, err)
			entries, rerr := os.ReadDir(mp)
			require.NoError(t, rerr)
			require.Empty(t, entries, "a failed restore left files behind")

			sn, err := overlay.New(context.Background(), t.TempDir(), overlay.WithRemoteFS(restore.NewFull()))
			require.NoError(t, err)
			defer sn.Close()
			_, err = sn.Prepare(context.Background(), "extract", "", withLabels(f.rootfsLabels(t)))
			require.NoError(t, err, "want the normal (containerd-applied) path, not AlreadyExists")
		})
	}
}

// TestLazyRestoreRejectsCorruptedTOC: a lazy mount of a layer whose TOC does
// not match its digest fails.
func TestLazyRestoreRejectsCorruptedTOC(t *testing.T) {
	requiresRoot(t)
	if err := restore.FUSEAvailable(); err != nil {
		t.Skipf("FUSE unavailable: %v", err)
	}
	tp := &tamper{}
	f := newFixture(t, tp.wrap)
	tp.set(func(b []byte) []byte { c := bytes.Clone(b); c[len(c)-100] ^= 0xff; return c })
	lazy, err := restore.NewLazy(t.TempDir(), restore.DefaultLazyConfig())
	require.NoError(t, err)
	mp := filepath.Join(t.TempDir(), "fs")
	require.NoError(t, os.Mkdir(mp, 0o755))
	err = lazy.Mount(context.Background(), mp, f.rootfsLabels(t))
	require.Error(t, err)
	require.False(t, errdefs.IsNotImplemented(err))
	t.Logf("mount error: %v", err)
}
