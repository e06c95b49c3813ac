package snapshotter

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gcrname "github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

// TestCaptureRunningContainer: capturing a running container pauses it for
// the capture and resumes it after; the capture holds what it wrote.
func TestCaptureRunningContainer(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	a := newEnv(t, s, filepath.Join(t.TempDir(), "a"))
	a.ctr(t, ctx, "image", "pull", "--plain-http", "--snapshotter", "devcache", s.BusyboxImage())
	a.ctr(t, ctx, "run", "-d", "--snapshotter", "devcache", s.BusyboxImage(), "live", "sh", "-c", "echo up > /up.txt; exec sleep 600")
	t.Cleanup(func() {
		_, _ = a.ctrErr(context.Background(), "task", "kill", "-s", "SIGKILL", "live")
		time.Sleep(200 * time.Millisecond)
		_, _ = a.ctrErr(context.Background(), "task", "delete", "-f", "live")
		_, _ = a.ctrErr(context.Background(), "container", "rm", "live")
	})
	require.Eventually(t, func() bool {
		out, _ := a.ctrErr(ctx, "task", "exec", "--exec-id", "probe", "live", "cat", "/up.txt")
		return strings.TrimSpace(out) == "up"
	}, 30*time.Second, 200*time.Millisecond)

	target := s.Registry + "/" + project(t) + ":live"
	_, err := a.capture(t, ctx, "live", target)
	require.NoError(t, err)
	require.Contains(t, a.ctr(t, ctx, "task", "ls"), "RUNNING", "the task was not resumed")

	require.Equal(t, "up\n", imageFile(t, target, "up.txt"), "up.txt is not in the prebuild")
}

// imageFile returns the content of name in the first layer of the image at
// ref that has it ("" when none does).
func imageFile(t *testing.T, ref, name string) string {
	t.Helper()
	r, err := gcrname.ParseReference(ref, gcrname.Insecure)
	require.NoError(t, err)
	img, err := remote.Image(r)
	require.NoError(t, err)
	layers, err := img.Layers()
	require.NoError(t, err)
	for _, l := range layers {
		rc, err := l.Uncompressed()
		require.NoError(t, err)
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			if h.Name == name {
				b, err := io.ReadAll(tr)
				require.NoError(t, err)
				require.NoError(t, rc.Close())
				return string(b)
			}
		}
		require.NoError(t, rc.Close())
	}
	return ""
}
