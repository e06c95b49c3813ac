//go:build linux

package restore

import (
	"context"
	"fmt"
	"maps"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/pkg/reference"
	stargzfs "github.com/containerd/stargz-snapshotter/fs"
	"github.com/containerd/stargz-snapshotter/fs/config"
	"github.com/containerd/stargz-snapshotter/fs/layer"
	"github.com/containerd/stargz-snapshotter/fs/source"
	"github.com/containerd/stargz-snapshotter/snapshot"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/devcache/devcache/snapshotter"
)

// Labels stargz-snapshotter's source package reads.
const (
	stargzRefLabel    = "containerd.io/snapshot/remote/stargz.reference"
	stargzDigestLabel = "containerd.io/snapshot/remote/stargz.digest"
	stargzLayersLabel = "containerd.io/snapshot/remote/stargz.layers"
)

// Lazy mounts eStargz layers through stargz-snapshotter's FUSE filesystem.
type Lazy struct {
	fs   snapshot.FileSystem
	opts options
}

var _ snapshotter.RemoteFS = (*Lazy)(nil)

// DefaultLazyConfig is the stargz filesystem configuration devcache uses:
// verified layers only, prefetch up to the landmark, background fetch of the
// rest, caches on disk under the restorer's root. A registry that stops
// answering fails a read with an I/O error after FetchTimeoutSec (30 s,
// stargz's default is 300 s) and its few retries, instead of hanging the
// environment's command. CheckAlways makes every container start on a layer
// not fetched in full check that its registry still answers (one ranged
// GET), so a registry gone before the start fails the start, naming the
// layer, instead of the command's first read.
func DefaultLazyConfig() config.Config {
	return config.Config{
		PrefetchTimeoutSec: 30,
		MaxConcurrency:     2,
		NoPrometheus:       true,
		BlobConfig:         config.BlobConfig{FetchTimeoutSec: 30, MaxRetries: 2, CheckAlways: true},
	}
}

// NewLazy starts the stargz filesystem with its caches under root.
func NewLazy(root string, cfg config.Config, opts ...Opt) (*Lazy, error) {
	o := newOptions(opts)
	hosts := registryHosts(o)
	// Opaque directories are marked with trusted.overlay.opaque only: the
	// overlay snapshotter runs as root without userxattr, and a
	// user.overlay.opaque attribute would leak into the container's view.
	fs, err := stargzfs.NewFilesystem(root, cfg, stargzfs.WithOverlayOpaqueType(layer.OverlayOpaqueTrusted), stargzfs.WithGetSources(func(labels map[string]string) ([]source.Source, error) {
		lr, err := layerFromLabels(labels)
		if err != nil {
			return nil, err
		}
		l := maps.Clone(labels)
		l[stargzRefLabel] = lr.image
		l[stargzDigestLabel] = lr.digest.String()
		if layers, ok := labels[snapshotter.LabelCRIImageLayers]; ok {
			l[stargzLayersLabel] = layers
		}
		return source.FromDefaultLabels(hosts)(l)
	}))
	if err != nil {
		return nil, fmt.Errorf("starting stargz filesystem: %w", err)
	}
	return &Lazy{fs: fs, opts: o}, nil
}

// Mount mounts the layer lazily at mountpoint; it returns once the TOC is
// verified and the prioritized files are fetched.
func (l *Lazy) Mount(ctx context.Context, mountpoint string, labels map[string]string) error {
	if _, err := layerFromLabels(labels); err != nil {
		return err
	}
	if err := l.fs.Mount(ctx, mountpoint, labels); err != nil {
		return err
	}
	if ref := labels[snapshotter.LabelPrefetch]; ref != "" {
		go l.prefetch(context.WithoutCancel(ctx), mountpoint, ref)
	}
	return nil
}

// Mode implements snapshotter.ModeReporter: always lazy.
func (l *Lazy) Mode(string) (mode, reason string) { return snapshotter.RemoteLazy, "" }

// Check reports whether the mount still serves the layer.
func (l *Lazy) Check(ctx context.Context, mountpoint string, labels map[string]string) error {
	return l.fs.Check(ctx, mountpoint, labels)
}

// Unmount unmounts the FUSE filesystem at mountpoint.
func (l *Lazy) Unmount(ctx context.Context, mountpoint string) error {
	return l.fs.Unmount(ctx, mountpoint)
}

// registryHosts configures containerd's resolver with the restorers'
// plain-HTTP hosts and keychain.
func registryHosts(o options) source.RegistryHosts {
	return func(ref reference.Spec) ([]docker.RegistryHost, error) {
		return docker.ConfigureDefaultRegistries(
			docker.WithPlainHTTP(o.insecure.Match),
			docker.WithAuthorizer(docker.NewDockerAuthorizer(docker.WithAuthCreds(func(host string) (string, string, error) {
				reg, err := name.NewRegistry(host, name.WeakValidation)
				if err != nil {
					return "", "", err
				}
				a, err := o.keychain.Resolve(reg)
				if err != nil {
					return "", "", err
				}
				cfg, err := authn.Authorization(context.Background(), a)
				if err != nil {
					return "", "", err
				}
				if cfg.IdentityToken != "" {
					return "", cfg.IdentityToken, nil
				}
				return cfg.Username, cfg.Password, nil
			}))),
		)(ref.Hostname())
	}
}
