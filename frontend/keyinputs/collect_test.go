package keyinputs

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/features"
)

// fakeSource serves files and manifests from maps and records what it was
// asked for (a unit-test fake: the real sources run in integration tests).
type fakeSource struct {
	files     map[string][]byte
	manifests map[string][]byte // by features.Ref.String()
	reads     []string
	fetched   []string
	images    []string
}

func (f *fakeSource) ReadFile(_ context.Context, name string) ([]byte, error) {
	f.reads = append(f.reads, name)
	if dt, ok := f.files[name]; ok {
		return dt, nil
	}
	return nil, fmt.Errorf("%s: %w", name, cerrdefs.ErrNotFound)
}

func (f *fakeSource) LocalFeature(context.Context, features.Ref) (features.FolderFS, string, any, error) {
	return nil, "", nil, cerrdefs.ErrNotImplemented
}

func (f *fakeSource) Tarball(context.Context, features.Ref, digest.Digest) ([]byte, any, error) {
	return nil, nil, cerrdefs.ErrNotImplemented
}

func (f *fakeSource) Manifest(_ context.Context, ref features.Ref) ([]byte, error) {
	f.fetched = append(f.fetched, ref.String())
	if dt, ok := f.manifests[ref.String()]; ok {
		return dt, nil
	}
	return nil, fmt.Errorf("%s: %w", ref, cerrdefs.ErrNotFound)
}

func (f *fakeSource) Layer(context.Context, features.Ref, ocispecs.Descriptor, bool) ([]byte, any, error) {
	return nil, nil, nil
}

func (f *fakeSource) ResolveImage(_ context.Context, ref reference.Named) (digest.Digest, error) {
	f.images = append(f.images, ref.String())
	return digest.FromString(ref.String()), nil
}

func collect(t *testing.T, filename, config string, src Source) (*Result, error) {
	t.Helper()
	raw, err := devcontainer.Parse(filename, []byte(config))
	require.NoError(t, err)
	return Collect(t.Context(), Config{Filename: filename, Data: []byte(config), Raw: raw}, src)
}

func TestImageIsNormalised(t *testing.T) {
	for image, want := range map[string]string{
		"ubuntu":                        "docker.io/library/ubuntu:latest",
		"ubuntu:latest":                 "docker.io/library/ubuntu:latest",
		"debian:bookworm":               "docker.io/library/debian:bookworm",
		"x/y":                           "docker.io/x/y:latest",
		"localhost:5000/x/y":            "localhost:5000/x/y:latest",
		"registry.localhost/x:1":        "registry.localhost/x:1",
		"127.0.0.1:5826/base/busybox:2": "127.0.0.1:5826/base/busybox:2",
		"x@sha256:" + sha:               "docker.io/library/x@sha256:" + sha,
	} {
		src := &fakeSource{}
		res, err := collect(t, "devcontainer.json", `{"image": "`+image+`"}`, src)
		require.NoError(t, err, image)
		assert.Equal(t, want, res.Image.String(), image)
		assert.Equal(t, []string{want}, src.images, "the source resolves the normalised reference")
		assert.Equal(t, digest.FromString(want), res.Inputs.ImageDigest)
	}
	_, err := collect(t, "devcontainer.json", "{\n  \"image\": \"Ubuntu\"\n}", &fakeSource{})
	require.ErrorIs(t, err, cerrdefs.ErrInvalidArgument)
	var de *devcontainer.Error
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "image", de.Path)
}

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestLockfileNextToTheConfig(t *testing.T) {
	for filename, want := range map[string]string{
		"devcontainer.json":               "devcontainer-lock.json",
		".devcontainer.json":              ".devcontainer-lock.json",
		".devcontainer/devcontainer.json": "devcontainer-lock.json",
	} {
		src := &fakeSource{files: map[string][]byte{want: []byte("not json")}}
		_, err := collect(t, filename, `{"image": "x"}`, src)
		require.ErrorIs(t, err, cerrdefs.ErrInvalidArgument, filename)
		assert.Contains(t, err.Error(), want+": ")
		assert.Equal(t, []string{want}, src.reads)
	}
}

func featureManifest(t *testing.T, mediaType string) []byte {
	t.Helper()
	dt, err := json.Marshal(ocispecs.Manifest{
		MediaType:   ocispecs.MediaTypeImageManifest,
		Config:      ocispecs.Descriptor{MediaType: mediaType, Digest: digest.FromString("{}"), Size: 2},
		Layers:      []ocispecs.Descriptor{{MediaType: "application/vnd.devcontainers.layer.v1+tar", Digest: digest.FromString("layer"), Size: 5}},
		Annotations: map[string]string{features.AnnotationMetadata: `{"id": "f", "version": "1.0.0"}`},
	})
	require.NoError(t, err)
	return dt
}

func TestOCIFeaturePinsAndChecks(t *testing.T) {
	const id = "reg.example/ns/f:1"
	good := featureManifest(t, features.MediaTypeConfig)
	pinned := "reg.example/ns/f@" + digest.FromBytes(good).String()
	lock := func(integrity string) []byte {
		return fmt.Appendf(nil, `{"features": {%q: {"version": "1.0.0", "resolved": %q, "integrity": %q}}}`, id, pinned, integrity)
	}
	config := `{"image": "x", "features": {"` + id + `": {}}}`

	t.Run("by tag without a lockfile", func(t *testing.T) {
		src := &fakeSource{manifests: map[string][]byte{id: good}}
		res, err := collect(t, "devcontainer.json", config, src)
		require.NoError(t, err)
		assert.Equal(t, []string{id}, src.fetched)
		require.Len(t, res.Inputs.Features, 1)
		assert.Equal(t, digest.FromBytes(good), res.Inputs.Features[0].Digest)
		assert.Equal(t, pinned, res.Features[0].Canonical)
	})
	t.Run("by the lockfile's pin", func(t *testing.T) {
		src := &fakeSource{manifests: map[string][]byte{pinned: good},
			files: map[string][]byte{"devcontainer-lock.json": lock(digest.FromBytes(good).String())}}
		_, err := collect(t, "devcontainer.json", config, src)
		require.NoError(t, err)
		assert.Equal(t, []string{pinned}, src.fetched, "fetched by digest, not by tag")
	})
	t.Run("content that is not the pin", func(t *testing.T) {
		src := &fakeSource{manifests: map[string][]byte{pinned: featureManifest(t, features.MediaTypeConfig+"x")},
			files: map[string][]byte{"devcontainer-lock.json": lock(digest.FromBytes(good).String())}}
		_, err := collect(t, "devcontainer.json", config, src)
		require.ErrorIs(t, err, cerrdefs.ErrFailedPrecondition)
		assert.Contains(t, err.Error(), "does not match")
	})
	t.Run("not a Feature", func(t *testing.T) {
		src := &fakeSource{manifests: map[string][]byte{id: featureManifest(t, ocispecs.MediaTypeImageConfig)}}
		_, err := collect(t, "devcontainer.json", config, src)
		require.ErrorIs(t, err, cerrdefs.ErrInvalidArgument)
		assert.Contains(t, err.Error(), "not a Dev Container Feature")
	})
	t.Run("a pin that is not a digest", func(t *testing.T) {
		src := &fakeSource{files: map[string][]byte{"devcontainer-lock.json": lock("md5:x")}}
		_, err := collect(t, "devcontainer.json", config, src)
		require.ErrorIs(t, err, cerrdefs.ErrInvalidArgument)
		assert.Empty(t, src.fetched)
	})
}
