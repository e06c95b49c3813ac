package features

import (
	"encoding/json"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// An OCI Feature artifact, as the reference CLI publishes it.
const (
	// MediaTypeConfig is the config media type of a Feature manifest.
	MediaTypeConfig = "application/vnd.devcontainers"
	// AnnotationMetadata carries devcontainer-feature.json on the manifest
	// (newer publishers); without it the metadata is read from the layer.
	AnnotationMetadata = "dev.containers.metadata"
)

// ParseManifest checks that data is the manifest of a Dev Container Feature
// (config media type MediaTypeConfig, at least one layer) and, when ref has
// a digest (written or pinned by the lockfile), that data has that digest.
// It returns the manifest and data's digest: the Feature's key input.
func ParseManifest(ref Ref, data []byte) (*ocispecs.Manifest, digest.Digest, error) {
	dgst := digest.FromBytes(data)
	if ref.Digest != "" && dgst.String() != ref.Digest {
		return nil, "", fmt.Errorf("feature %q: manifest digest %s does not match %s: %w", ref.UserID, dgst, ref.Digest, cerrdefs.ErrFailedPrecondition)
	}
	var m ocispecs.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, "", fmt.Errorf("feature %s: manifest: %w: %w", ref.String(), err, cerrdefs.ErrInvalidArgument)
	}
	if m.Config.MediaType != MediaTypeConfig || len(m.Layers) == 0 {
		return nil, "", fmt.Errorf("feature %s: not a Dev Container Feature (config media type %q, %d layers): %w",
			ref.String(), m.Config.MediaType, len(m.Layers), cerrdefs.ErrInvalidArgument)
	}
	return &m, dgst, nil
}

// PinOf is the digest ref is fetched by: the one it is written with, else
// the lockfile's integrity; empty when neither pins it. A pin that is not a
// digest is an error.
func (l *Lockfile) PinOf(ref Ref) (digest.Digest, error) {
	if ref.Digest != "" {
		d, err := digest.Parse(ref.Digest)
		if err != nil {
			return "", fmt.Errorf("feature %s: digest %q: %w", ref.UserID, ref.Digest, cerrdefs.ErrInvalidArgument)
		}
		return d, nil
	}
	e, ok := l.Pin(ref.UserID)
	if !ok {
		return "", nil
	}
	d, err := digest.Parse(e.Integrity)
	if err != nil {
		return "", fmt.Errorf("feature %s: integrity %q in %s: %w", ref.UserID, e.Integrity, l.Name(), cerrdefs.ErrInvalidArgument)
	}
	return d, nil
}
