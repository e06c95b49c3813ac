//go:build linux

package capture

import (
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/stretchr/testify/require"
)

// TestComposeDropsBaseAnnotations: an incremental capture's base is its
// parent prebuild; the parent's manifest annotations (phase, commit, …)
// must not reach the capture, its layers' annotations must.
func TestComposeDropsBaseAnnotations(t *testing.T) {
	base, err := random.Image(64, 1)
	require.NoError(t, err)
	layers, err := base.Layers()
	require.NoError(t, err)
	base, err = mutate.Append(base, mutate.Addendum{Layer: layers[0], Annotations: map[string]string{"layer-kind": "rootfs"}})
	require.NoError(t, err)
	base = mutate.Annotations(base, map[string]string{"dev.devcache.prebuild.phase": "Completed"}).(v1.Image)

	img, err := compose(base, nil, time.Unix(0, 0))
	require.NoError(t, err)
	m, err := img.Manifest()
	require.NoError(t, err)
	require.Empty(t, m.Annotations, "the base's manifest annotations do not carry over")
	require.Len(t, m.Layers, 2)
	require.Equal(t, "rootfs", m.Layers[1].Annotations["layer-kind"], "the base's layer annotations do")
}
