package cachekey

import (
	"testing"

	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func base() Inputs {
	return Inputs{
		DevcontainerJSON: []byte(`{"image": "x"}`),
		ImageDigest:      digest.FromString("image"),
		Features: []Feature{
			{ID: "./fa", Digest: digest.FromString("fa")},
			{ID: "localhost:5000/ns/fb:1", Digest: digest.FromString("fb")},
		},
	}
}

func TestKeyChangesWhenAndOnlyWhenAnInputChanges(t *testing.T) {
	k := base().Key()
	assert.Equal(t, k, base().Key(), "deterministic")

	for name, mut := range map[string]func(*Inputs){
		"devcontainer.json": func(in *Inputs) { in.DevcontainerJSON = []byte(`{"image": "y"}`) },
		"dockerfile":        func(in *Inputs) { in.Dockerfile = []byte("FROM x") },
		"image digest":      func(in *Inputs) { in.ImageDigest = digest.FromString("moved") },
		"feature digest":    func(in *Inputs) { in.Features[1].Digest = digest.FromString("fb2") },
		"feature added": func(in *Inputs) {
			in.Features = append(in.Features, Feature{ID: "./fc", Digest: digest.FromString("fc")})
		},
		"feature order": func(in *Inputs) { in.Features[0], in.Features[1] = in.Features[1], in.Features[0] },
	} {
		in := base()
		mut(&in)
		assert.NotEqual(t, k, in.Key(), name)
	}
	// An empty Dockerfile is still a Dockerfile.
	a, b := base(), base()
	b.Dockerfile = []byte{}
	assert.NotEqual(t, a.Key(), b.Key())
}

func TestLabelsRoundTripAndDiff(t *testing.T) {
	in := base()
	in.Features = append(in.Features, Feature{ID: "./fa", Digest: digest.FromString("fa")})
	labels := in.Labels()
	assert.Equal(t, in.Key().String(), labels[LabelKey])
	assert.Equal(t, "0 "+SchemaVersion, labels[LabelInputPrefix+"schema"])
	assert.Contains(t, labels, LabelInputPrefix+"feature:./fa#2")

	k, l, err := FromLabels(labels)
	require.NoError(t, err)
	assert.Equal(t, in.Key(), k)
	assert.Equal(t, in.List(), l)
	assert.Empty(t, Diff(l, in.List()))

	changed := base()
	changed.Features[1].Digest = digest.FromString("moved")
	d := Diff(l, changed.List())
	require.Len(t, d, 2)
	assert.Equal(t, "feature:localhost:5000/ns/fb:1", d[0].Name)
	assert.Equal(t, "- feature:./fa#2 = "+digest.FromString("fa").String(), d[1].String())

	labels[LabelInputPrefix+"image"] = "3 sha256:tampered"
	_, _, err = FromLabels(labels)
	require.ErrorIs(t, err, errdefs.ErrInvalidArgument)
	_, _, err = FromLabels(map[string]string{})
	require.ErrorIs(t, err, errdefs.ErrNotFound)
}

func TestPlatformIsAnInput(t *testing.T) {
	with := func(specs ...string) Inputs {
		ps, err := ParsePlatforms(specs)
		require.NoError(t, err)
		in := base()
		in.Platforms = ps
		return in
	}
	amd, arm := with("linux/amd64"), with("linux/arm64/v8")
	assert.NotEqual(t, amd.Key(), arm.Key(), "two platforms, two keys")
	assert.Equal(t, arm.Key(), with("linux/arm64").Key(), "arm64/v8 normalises to arm64, as containerd does")
	assert.Equal(t, arm.Key(), with("linux/aarch64").Key())
	assert.Equal(t, amd.Key(), with("linux/x86_64").Key())
	multi := with("linux/arm64,linux/amd64")
	assert.Equal(t, multi.Key(), with("linux/amd64", "linux/arm64/v8").Key(), "a multi-platform key is over the sorted list")
	assert.NotEqual(t, multi.Key(), amd.Key())
	assert.Equal(t, Input{InputPlatform, "linux/amd64,linux/arm64"}, multi.List()[1])
	assert.Equal(t, "1 linux/arm64", arm.Labels()[LabelInputPrefix+InputPlatform])

	d := Diff(amd.List(), arm.List())
	require.Len(t, d, 1)
	assert.Equal(t, "~ platform: linux/amd64 -> linux/arm64", d[0].String())

	_, err := ParsePlatforms([]string{"linux/amd64", "linux//amd64"})
	require.ErrorIs(t, err, errdefs.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "linux//amd64")
}
