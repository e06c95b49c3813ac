package keyinputs

import (
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
)

// Image normalises devcontainer.json's "image" as BuildKit and docker do:
// "debian:bookworm" is docker.io/library/debian:bookworm, "x/y" is
// docker.io/x/y:latest, a host (with a dot or a port, or localhost) is a
// registry; a reference with neither tag nor digest gets "latest".
func Image(image string) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return nil, fmt.Errorf("image %q: %w: %w", image, err, cerrdefs.ErrInvalidArgument)
	}
	return reference.TagNameOnly(named), nil
}
