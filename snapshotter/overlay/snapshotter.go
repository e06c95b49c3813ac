//go:build linux

package overlay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/core/snapshots/storage"
	"github.com/containerd/containerd/v2/plugins/snapshots/overlay/overlayutils"
	"github.com/containerd/continuity/fs"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/snapshotter"
)

// Opt configures a Snapshotter.
type Opt func(*options)

type options struct {
	remote       snapshotter.RemoteFS
	mountOptions []string
	asyncRemove  bool
}

// WithRemoteFS lets Prepare answer the remote-snapshot handshake: when the
// labels carry containerd.io/snapshot.ref, the layer is materialized by fs and
// committed under that name, and Prepare returns ErrAlreadyExists.
func WithRemoteFS(fs snapshotter.RemoteFS) Opt {
	return func(o *options) { o.remote = fs }
}

// WithMountOptions adds overlayfs mount options (not applied to bind mounts).
func WithMountOptions(opts ...string) Opt {
	return func(o *options) { o.mountOptions = append(o.mountOptions, opts...) }
}

// AsynchronousRemove defers freeing removed snapshots' directories to Cleanup.
func AsynchronousRemove() Opt {
	return func(o *options) { o.asyncRemove = true }
}

// Snapshotter is an overlayfs snapshots.Snapshotter. It also implements
// snapshots.Cleaner.
type Snapshotter struct {
	root        string
	ms          *storage.MetaStore
	remote      snapshotter.RemoteFS
	mountOpts   []string
	asyncRemove bool

	closeOnce sync.Once
	closeErr  error
}

var (
	_ snapshots.Snapshotter = (*Snapshotter)(nil)
	_ snapshots.Cleaner     = (*Snapshotter)(nil)
)

// New opens (or creates) a snapshotter rooted at root. Snapshots committed by
// a previous process are usable at once; remote snapshots are re-mounted.
func New(ctx context.Context, root string, opts ...Opt) (*Snapshotter, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(filepath.Join(root, "snapshots"), 0o700); err != nil {
		return nil, err
	}
	dtype, err := fs.SupportsDType(root)
	if err != nil {
		return nil, err
	}
	if !dtype {
		return nil, fmt.Errorf("%s does not support d_type (xfs needs ftype=1)", root)
	}
	ms, err := storage.NewMetaStore(filepath.Join(root, "metadata.db"))
	if err != nil {
		return nil, fmt.Errorf("opening metadata: %w", err)
	}
	mountOpts := o.mountOptions
	if !hasOption(mountOpts, "userxattr") {
		userxattr, err := overlayutils.NeedsUserXAttr(root)
		if err != nil {
			log.G(ctx).Warn("cannot detect whether overlayfs needs userxattr", "error", err, "assume", userxattr)
		}
		if userxattr {
			mountOpts = append(mountOpts, "userxattr")
		}
	}
	if !hasOption(mountOpts, "index") {
		if _, err := os.Stat("/sys/module/overlay/parameters/index"); err == nil {
			mountOpts = append(mountOpts, "index=off")
		}
	}
	s := &Snapshotter{
		root:        root,
		ms:          ms,
		remote:      o.remote,
		mountOpts:   mountOpts,
		asyncRemove: o.asyncRemove,
	}
	if err := s.restoreRemote(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("restoring remote snapshots: %w", err), ms.Close())
	}
	return s, nil
}

// Root is the directory the snapshotter stores its data in.
func (s *Snapshotter) Root() string { return s.root }

// Close unmounts lazily mounted layers and closes the metadata store. It is
// safe to call more than once.
func (s *Snapshotter) Close() error {
	s.closeOnce.Do(func() {
		s.unmountRemote(context.Background())
		s.closeErr = s.ms.Close()
	})
	return s.closeErr
}

func (s *Snapshotter) snapshotsDir() string { return filepath.Join(s.root, "snapshots") }
func (s *Snapshotter) upperPath(id string) string {
	return filepath.Join(s.root, "snapshots", id, "fs")
}
func (s *Snapshotter) workPath(id string) string {
	return filepath.Join(s.root, "snapshots", id, "work")
}

// hasOption reports whether key is among options, bare or as key=value.
func hasOption(options []string, key string) bool {
	for _, opt := range options {
		if k, _, _ := strings.Cut(opt, "="); k == key {
			return true
		}
	}
	return false
}
