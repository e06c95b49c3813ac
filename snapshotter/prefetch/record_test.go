//go:build linux

package prefetch

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestRecordOpens: files opened in the watched mount are recorded once, in
// the order of their first open; files elsewhere are not.
func TestRecordOpens(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("fanotify needs CAP_SYS_ADMIN")
	}
	dir := t.TempDir()
	require.NoError(t, unix.Mount("tmpfs", dir, "tmpfs", 0, ""))
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	for _, n := range []string{"a", "b", "c"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644))
	}
	outside := filepath.Join(t.TempDir(), "outside")
	require.NoError(t, os.WriteFile(outside, []byte("x"), 0o644))

	r, err := Record(dir)
	require.NoError(t, err)
	for _, n := range []string{"b", "a", "b"} {
		_, err := os.ReadFile(filepath.Join(dir, n))
		require.NoError(t, err)
	}
	_, err = os.ReadFile(outside)
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond) // events are delivered asynchronously
	got, err := r.Stop()
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "b"), filepath.Join(dir, "a")}, got)
}
