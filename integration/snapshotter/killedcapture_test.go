package snapshotter

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

// TestKilledCaptureLeavesTagUntouched: a capture killed while it uploads
// (through a throttled registry) leaves the tag on the previous prebuild,
// which stays complete; a capture that finishes moves it.
func TestKilledCaptureLeavesTagUntouched(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	repo, _, a := newBigPrebuild(t, ctx, s, filepath.Join(dir, "a"))
	tag, err := name.ParseReference(s.Registry+"/"+repo+":v1", name.Insecure)
	require.NoError(t, err)
	before, err := remote.Head(tag)
	require.NoError(t, err)

	th := newThrottle(t, s.Registry, 1<<20)
	// --gzip-level 6 makes a different blob, so it must be uploaded.
	cmd := exec.Command(pluginBin, "capture", "--containerd-address", a.address, "--namespace", namespace,
		"--container", "big", "--insecure", "--gzip-level", "6", "--tmpdir", a.dir,
		"--base", s.BusyboxImage(), "--target", th.host+"/"+repo+":v1")
	cmd.Env = s.Env()
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for th.uploaded.Load() < 1<<20 && time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("capture ended before it was killed: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	require.GreaterOrEqual(t, th.uploaded.Load(), int64(1<<20), "capture never uploaded")
	require.NoError(t, cmd.Process.Kill())
	require.Error(t, <-done, "the capture was killed")

	after, err := remote.Head(tag)
	require.NoError(t, err)
	require.Equal(t, before.Digest, after.Digest, "a killed capture moved the tag")
	tags, err := remote.List(tag.Context())
	require.NoError(t, err)
	require.Equal(t, []string{"v1"}, tags)
	img, err := remote.Image(tag)
	require.NoError(t, err)
	layers, err := img.Layers()
	require.NoError(t, err)
	for _, l := range layers {
		d, err := l.Digest()
		require.NoError(t, err)
		_, err = remote.Layer(tag.Context().Digest(d.String()))
		require.NoError(t, err, "previous prebuild lost layer %s", d)
		rc, err := l.Compressed()
		require.NoError(t, err)
		rc.Close()
	}

	// The check can fail: a finished capture does move the tag.
	_, err = a.capture(t, ctx, "big", tag.String(), "--gzip-level", "6")
	require.NoError(t, err)
	moved, err := remote.Head(tag)
	require.NoError(t, err)
	require.NotEqual(t, before.Digest, moved.Digest)
	a.ctr(t, ctx, "container", "rm", "big")
}
