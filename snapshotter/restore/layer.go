package restore

import (
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	digest "github.com/opencontainers/go-digest"

	"github.com/devcache/devcache/internal/registry"
	"github.com/devcache/devcache/snapshotter"
)

// layerRef is the registry location of one layer, read from Prepare labels.
type layerRef struct {
	image     string // the image reference (tag or digest)
	digest    digest.Digest
	tocDigest digest.Digest
}

// layerFromLabels reads the image reference and layer digest containerd
// passes (CRI labels, also set by the transfer service with
// enable_remote_snapshot_annotations) and the eStargz TOC digest carried over
// from the layer annotation. Layers without a TOC digest are not ours.
func layerFromLabels(labels map[string]string) (layerRef, error) {
	toc, ok := labels[snapshotter.LabelTOCDigest]
	if !ok {
		return layerRef{}, fmt.Errorf("layer has no eStargz TOC digest: %w", errdefs.ErrNotImplemented)
	}
	ref, ok := labels[snapshotter.LabelCRIImageRef]
	if !ok {
		return layerRef{}, fmt.Errorf("no image reference label (%s): %w", snapshotter.LabelCRIImageRef, errdefs.ErrNotImplemented)
	}
	d, err := digest.Parse(labels[snapshotter.LabelCRILayerDigest])
	if err != nil {
		return layerRef{}, fmt.Errorf("layer digest label: %w: %w", err, errdefs.ErrNotImplemented)
	}
	td, err := digest.Parse(toc)
	if err != nil {
		return layerRef{}, fmt.Errorf("TOC digest label: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	return layerRef{image: ref, digest: d, tocDigest: td}, nil
}

// blob returns the layer's blob reference, under the plain-HTTP policy.
func (l layerRef) blob(insecure registry.Insecure) (name.Digest, error) {
	ref, err := insecure.ParseReference(l.image, name.WeakValidation)
	if err != nil {
		return name.Digest{}, err
	}
	return ref.Context().Digest(l.digest.String()), nil
}
