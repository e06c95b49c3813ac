package frontend

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tonistiigi/fsutil"

	"github.com/devcache/devcache/frontend/builder"
	"github.com/devcache/devcache/integration/testenv"
)

// TestMultiPlatform: --platform with two platforms gives an index with one
// image per platform, each with the devcontainer labels.
func TestMultiPlatform(t *testing.T) {
	s := testenv.Get(t)
	dir := writeFiles(t, map[string]string{
		".devcontainer/Dockerfile":        "FROM scratch\nCOPY app.txt /app.txt\n",
		".devcontainer/devcontainer.json": `{"build": {"dockerfile": "Dockerfile", "context": ".."}, "remoteUser": "dev"}`,
		"app.txt":                         "x",
	})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, err := bkclient.New(ctx, s.BuildkitHost)
	require.NoError(t, err)
	defer c.Close()
	ctxFS, err := fsutil.NewFS(dir)
	require.NoError(t, err)
	dcFS, err := fsutil.NewFS(dir + "/.devcontainer")
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = c.Build(ctx, bkclient.SolveOpt{
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dcFS},
		FrontendAttrs: map[string]string{"filename": "devcontainer.json", "platform": "linux/amd64,linux/arm64"},
		Exports: []bkclient.ExportEntry{{Type: bkclient.ExporterOCI, Output: func(map[string]string) (io.WriteCloser, error) {
			return nopCloser{&buf}, nil
		}}},
	}, "devcache-frontend-test", builder.Build, nil)
	require.NoError(t, err)

	blobs := map[string][]byte{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		blobs[h.Name], _ = io.ReadAll(tr)
	}
	var idx ocispecs.Index
	require.NoError(t, json.Unmarshal(blobs["index.json"], &idx))
	require.Len(t, idx.Manifests, 1)
	require.Equal(t, ocispecs.MediaTypeImageIndex, idx.Manifests[0].MediaType)
	var inner ocispecs.Index
	require.NoError(t, json.Unmarshal(blobs["blobs/sha256/"+idx.Manifests[0].Digest.Encoded()], &inner))
	var archs []string
	for _, m := range inner.Manifests {
		archs = append(archs, m.Platform.Architecture)
		var man ocispecs.Manifest
		require.NoError(t, json.Unmarshal(blobs["blobs/sha256/"+m.Digest.Encoded()], &man))
		var img ocispecs.Image
		require.NoError(t, json.Unmarshal(blobs["blobs/sha256/"+man.Config.Digest.Encoded()], &img))
		assert.Equal(t, m.Platform.Architecture, img.Architecture)
		//nolint:testifylint // byte-exact on purpose: the label must equal the reference CLI's bytes
		assert.Equal(t, `[ {"remoteUser":"dev"} ]`, img.Config.Labels["devcontainer.metadata"])
		assert.NotEmpty(t, img.Config.Labels["dev.devcache.cache-key"])
	}
	assert.ElementsMatch(t, []string{"amd64", "arm64"}, archs)
}
