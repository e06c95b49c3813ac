package imagecache

import (
	"context"
	"fmt"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/defaults"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/platforms"
	"github.com/opencontainers/image-spec/identity"

	"github.com/devcache/devcache/snapshotter"
)

// Pull modes: how an image became available on the runner host.
const (
	// PullLazy: every layer is mounted from the registry
	// (devcache-snapshotter); the container starts while the rest is
	// fetched in the background.
	PullLazy = "lazy"
	// PullFull: every layer was downloaded (and unpacked) first.
	PullFull = "full"
	// PullMixed: some layers lazily, some in full.
	PullMixed = "mixed"
)

// PullInfo says how a pull made the image available.
type PullInfo struct {
	// Digest is the image's manifest (or index) digest.
	Digest string `json:"digest"`
	// Mode is PullLazy, PullFull or PullMixed.
	Mode string `json:"mode"`
	// Snapshotter is the containerd snapshotter unpacked into.
	Snapshotter string `json:"snapshotter,omitempty"`
	// Prefetch is the image's prefetch list the snapshotter was given
	// (the files its environment read first), when it has one.
	Prefetch string `json:"prefetch,omitempty"`
	// Layers are the image's layers, base first.
	Layers []LayerPull `json:"layers,omitempty"`
}

// LayerPull is how one layer became available.
type LayerPull struct {
	Digest string `json:"digest"`
	Mode   string `json:"mode"`
	// Reason says why a layer was not made available lazily.
	Reason string `json:"reason,omitempty"`
}

// Fallback returns the first layer that was not pulled lazily, or nil.
func (p *PullInfo) Fallback() *LayerPull {
	for i := range p.Layers {
		if p.Layers[i].Mode != PullLazy {
			return &p.Layers[i]
		}
	}
	return nil
}

// pullInfo reads, from the snapshots of img's layers, how each became
// available: the devcache snapshotter labels the layers it restored
// (snapshotter.LabelRemote: lazy or full, and LabelRemoteReason); a layer
// without the label was downloaded and applied by containerd.
func (c *Containerd) pullInfo(ctx context.Context, img containerd.Image) (*PullInfo, error) {
	ctx = namespaces.WithNamespace(ctx, c.Namespace)
	info := &PullInfo{Digest: img.Target().Digest.String(), Snapshotter: c.Snapshotter}
	manifest, err := images.Manifest(ctx, c.Client.ContentStore(), img.Target(), platforms.Default())
	if err != nil {
		return nil, fmt.Errorf("manifest of %s: %w", img.Name(), err)
	}
	diffIDs, err := img.RootFS(ctx)
	if err != nil {
		return nil, fmt.Errorf("layers of %s: %w", img.Name(), err)
	}
	if len(diffIDs) != len(manifest.Layers) {
		return nil, fmt.Errorf("%s: %d layers but %d diff IDs", img.Name(), len(manifest.Layers), len(diffIDs))
	}
	sn := c.Client.SnapshotService(c.snapshotterName())
	lazy := 0
	for i, chain := range identity.ChainIDs(diffIDs) {
		l := LayerPull{Digest: manifest.Layers[i].Digest.String(), Mode: PullFull}
		st, err := sn.Stat(ctx, chain.String())
		if err != nil {
			return nil, fmt.Errorf("snapshot of layer %s: %w", l.Digest, err)
		}
		switch mode := st.Labels[snapshotter.LabelRemote]; {
		case mode == snapshotter.RemoteLazy:
			l.Mode = PullLazy
			lazy++
		case mode != "":
			l.Reason = st.Labels[snapshotter.LabelRemoteReason]
		case !c.Remote:
			// containerd pulled it, as it pulls every layer.
		case manifest.Layers[i].Annotations[snapshotter.LabelTOCDigest] == "":
			l.Reason = "the layer is not eStargz (" + manifest.Layers[i].MediaType + "): containerd downloaded it"
		default:
			l.Reason = "the snapshotter did not mount it (see its log): containerd downloaded it"
		}
		info.Layers = append(info.Layers, l)
	}
	switch lazy {
	case len(info.Layers):
		info.Mode = PullLazy
	case 0:
		info.Mode = PullFull
	default:
		info.Mode = PullMixed
	}
	return info, nil
}

func (c *Containerd) snapshotterName() string {
	if c.Snapshotter == "" {
		return defaults.DefaultSnapshotter
	}
	return c.Snapshotter
}
