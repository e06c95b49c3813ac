//go:build linux

package restore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/devcache/devcache/internal/httpclient"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/snapshotter"
)

// Auto restores lazily when it can and fully when it cannot: lazily if FUSE
// is available (checked once, at start) and the registry answers a range
// request for the layer (checked per layer); a lazy mount that fails for any
// other reason also falls back to a full restore.
type Auto struct {
	lazy *Lazy // nil without FUSE
	full *Full
	opts options
	// fallbacks holds, per mountpoint, why its layer was restored fully,
	// until Mode reads it.
	fallbacks sync.Map
}

var _ snapshotter.RemoteFS = (*Auto)(nil)

// NewAuto returns a restorer that picks Lazy or Full per layer. lazy may be
// nil (FUSE unavailable); use FUSEAvailable to decide.
func NewAuto(lazy *Lazy, full *Full, opts ...Opt) *Auto {
	return &Auto{lazy: lazy, full: full, opts: newOptions(opts)}
}

// FUSEAvailable reports whether this process can open /dev/fuse, which
// stargz's direct FUSE mounts need.
func FUSEAvailable() error {
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// Mount restores the layer lazily or fully.
func (a *Auto) Mount(ctx context.Context, mountpoint string, labels map[string]string) error {
	lr, err := layerFromLabels(labels)
	if err != nil {
		return err
	}
	l := log.G(ctx).With("layer", lr.digest)
	full := func(reason string) error {
		a.fallbacks.Store(mountpoint, reason)
		return a.full.Mount(ctx, mountpoint, labels)
	}
	if a.lazy == nil {
		l.Info("FUSE unavailable, restoring fully")
		return full("FUSE is unavailable to devcache-snapshotter")
	}
	if err := a.rangeSupported(ctx, lr); err != nil {
		l.Info("registry does not serve range requests, restoring fully", "reason", err)
		return full("the registry does not serve range requests: " + err.Error())
	}
	if err := a.lazy.Mount(ctx, mountpoint, labels); err != nil {
		if errdefs.IsNotImplemented(err) {
			return err
		}
		l.Warn("lazy mount failed, restoring fully", "error", err)
		return full("the lazy mount failed: " + err.Error())
	}
	a.fallbacks.Delete(mountpoint)
	l.Info("mounted layer lazily")
	return nil
}

// Mode implements snapshotter.ModeReporter.
func (a *Auto) Mode(mountpoint string) (mode, reason string) {
	if r, ok := a.fallbacks.LoadAndDelete(mountpoint); ok {
		return snapshotter.RemoteFull, r.(string)
	}
	return snapshotter.RemoteLazy, ""
}

// Check checks the layer the way it was restored.
func (a *Auto) Check(ctx context.Context, mountpoint string, labels map[string]string) error {
	if a.full.Check(ctx, mountpoint, labels) == nil {
		return nil
	}
	if a.lazy == nil {
		return fmt.Errorf("layer at %s is neither extracted nor mountable: %w", mountpoint, errdefs.ErrUnavailable)
	}
	return a.lazy.Check(ctx, mountpoint, labels)
}

// Unmount unmounts a lazy layer; extracted layers need nothing.
func (a *Auto) Unmount(ctx context.Context, mountpoint string) error {
	if _, err := os.Stat(filepath.Join(filepath.Dir(mountpoint), restoredMarker)); err == nil || a.lazy == nil {
		return nil
	}
	return a.lazy.Unmount(ctx, mountpoint)
}

// rangeSupported asks the registry for the first byte of the blob.
func (a *Auto) rangeSupported(ctx context.Context, lr layerRef) error {
	ref, err := lr.blob(a.opts.insecure)
	if err != nil {
		return err
	}
	auth, err := a.opts.keychain.Resolve(ref.Context().Registry)
	if err != nil {
		return err
	}
	rt, err := transport.NewWithContext(ctx, ref.Context().Registry, auth, httpclient.Transport(), []string{ref.Context().Scope(transport.PullScope)})
	if err != nil {
		return err
	}
	u := fmt.Sprintf("%s://%s/v2/%s/blobs/%s", ref.Context().Scheme(), ref.Context().RegistryStr(), ref.Context().RepositoryStr(), ref.DigestStr())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Range", "bytes=0-0")
	resp, err := (&http.Client{Transport: rt, Timeout: httpclient.ResponseHeader}).Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent {
		return errors.New("range request answered " + resp.Status)
	}
	return nil
}
