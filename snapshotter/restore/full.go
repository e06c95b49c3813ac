//go:build linux

package restore

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/v2/pkg/archive"
	"github.com/containerd/errdefs"
	"github.com/containerd/stargz-snapshotter/estargz"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/klauspost/compress/gzip"
	digest "github.com/opencontainers/go-digest"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/snapshotter"
)

// restoredMarker, beside a snapshot's fs directory, records that the layer
// was fully extracted there (so a restarted snapshotter keeps it as is).
const restoredMarker = "devcache-restored"

// Full restores a layer by downloading its blob, verifying the digest and
// extracting it; the directory is only put in place when all of that
// succeeded.
type Full struct {
	opts options
}

var _ snapshotter.RemoteFS = (*Full)(nil)

// NewFull returns the non-lazy restorer.
func NewFull(opts ...Opt) *Full { return &Full{opts: newOptions(opts)} }

// Mount extracts the layer into mountpoint (an empty directory).
func (f *Full) Mount(ctx context.Context, mountpoint string, labels map[string]string) (err error) {
	lr, err := layerFromLabels(labels)
	if err != nil {
		return err
	}
	ref, err := lr.blob(f.opts.insecure)
	if err != nil {
		return err
	}
	layer, err := remote.Layer(ref, append(f.opts.remote(), remote.WithContext(ctx))...)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", ref, err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return fmt.Errorf("fetching %s: %w", ref, err)
	}
	defer rc.Close()

	partial := mountpoint + ".partial"
	if err := os.RemoveAll(partial); err != nil {
		return err
	}
	if err := os.Mkdir(partial, 0o755); err != nil { //nolint:gosec // G301: becomes a rootfs layer
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, os.RemoveAll(partial))
		}
	}()
	n, err := extract(ctx, partial, rc, lr.digest)
	if err != nil {
		return fmt.Errorf("restoring %s: %w", ref, err)
	}
	// mountpoint is the snapshot's new, empty upper directory.
	if err := os.Remove(mountpoint); err != nil {
		return err
	}
	if err := os.Rename(partial, mountpoint); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(mountpoint), restoredMarker), []byte(lr.digest.String()), 0o600); err != nil {
		return err
	}
	log.G(ctx).Info("restored layer fully", "layer", lr.digest, "bytes", n)
	return nil
}

// extract applies the gzip layer stream r (whose compressed digest must be
// want) into dir as an overlayfs lowerdir, skipping eStargz metadata
// entries. A short or corrupted blob is an error.
func extract(ctx context.Context, dir string, r io.Reader, want digest.Digest) (int64, error) {
	h := sha256.New()
	cr := &countReader{r: io.TeeReader(r, h)}
	zr, err := gzip.NewReader(cr)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", err, errdefs.ErrDataLoss)
	}
	if _, err := archive.Apply(ctx, dir, zr,
		archive.WithConvertWhiteout(archive.OverlayConvertWhiteout),
		archive.WithFilter(func(h *tar.Header) (bool, error) {
			switch h.Name {
			case estargz.TOCTarName, estargz.PrefetchLandmark, estargz.NoPrefetchLandmark:
				return false, nil
			}
			return true, nil
		}),
	); err != nil {
		return cr.n, fmt.Errorf("applying layer: %w: %w", err, errdefs.ErrDataLoss)
	}
	// The TOC and footer follow the tar's end; they count for the digest.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return cr.n, fmt.Errorf("reading layer: %w: %w", err, errdefs.ErrDataLoss)
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return cr.n, fmt.Errorf("reading layer: %w: %w", err, errdefs.ErrDataLoss)
	}
	if got := digest.NewDigest(digest.SHA256, h); got != want {
		return cr.n, fmt.Errorf("layer digest is %s, want %s: %w", got, want, errdefs.ErrDataLoss)
	}
	return cr.n, nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Check reports whether the layer was fully extracted at mountpoint.
func (f *Full) Check(_ context.Context, mountpoint string, _ map[string]string) error {
	_, err := os.Stat(filepath.Join(filepath.Dir(mountpoint), restoredMarker))
	return err
}

// Unmount is a no-op: an extracted layer is plain files, removed with the
// snapshot.
func (f *Full) Unmount(context.Context, string) error { return nil }

// Mode implements snapshotter.ModeReporter: always full.
func (f *Full) Mode(string) (mode, reason string) { return snapshotter.RemoteFull, "" }
