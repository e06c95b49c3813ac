package frontend

import (
	"os"
	"path/filepath"
	"testing"

	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/integration/testenv"
)

func TestDockerfileWithArgsAndTarget(t *testing.T) {
	s := testenv.Get(t)
	dockerfile := `ARG BASE
FROM ${BASE} AS base
ARG GREETING=none
ARG EXTRA=none
RUN echo "base $GREETING" > /base.txt && echo "$EXTRA" > /extra.txt && grep devcache.test /etc/hosts > /hosts.txt

FROM base AS dev
COPY app.txt /app.txt
USER nobody

FROM base AS prod
RUN echo prod > /prod.txt
`
	files := localFeatures()
	files[".devcontainer/Dockerfile"] = dockerfile
	files["app.txt"] = "app from the repository root\n"
	files[".devcontainer/devcontainer.json"] = `{
		"build": {
			"dockerfile": "Dockerfile",
			"context": "..",
			"args": {"BASE": "` + s.BusyboxImage() + `", "GREETING": "${localEnv:WHO}"},
			"target": "dev",
			"options": ["--build-arg", "EXTRA=from-options", "--add-host=devcache.test:10.1.2.3", "--progress=plain"],
		},
		"features": {"./world": {}},
	}`
	dir := writeFiles(t, files)

	img, err := build(t, s, dir, buildOpt{attrs: map[string]string{"build-arg:localEnv:WHO": "from-env"}})
	require.NoError(t, err)
	assert.Equal(t, "base from-env\n", img.file(t, "base.txt"), "build.args are substituted and passed")
	assert.Equal(t, "app from the repository root\n", img.file(t, "app.txt"), "build.context is relative to devcontainer.json")
	assert.Equal(t, "from-options\n", img.file(t, "extra.txt"), "build.options --build-arg")
	assert.Contains(t, img.file(t, "hosts.txt"), "10.1.2.3", "build.options --add-host")
	assert.NoFileExists(t, filepath.Join(img.root, "prod.txt"), "build.target selects the stage")
	assert.Equal(t, "world\n", img.file(t, "opt/world"), "Features install as root on top of the target")
	assert.Contains(t, img.file(t, "tmp/dev-container-features/devcontainer-features.builtin.env"), "_CONTAINER_USER=nobody\n_REMOTE_USER=nobody\n")
	assert.Equal(t, "nobody", img.config.Config.User, "the Dockerfile's user is restored")

	_, inputs, err := cachekey.FromLabels(img.config.Config.Labels)
	require.NoError(t, err)
	got := map[string]string{}
	for _, i := range inputs {
		got[i.Name] = i.Value
	}
	assert.Equal(t, digest.FromString(dockerfile).String(), got["dockerfile"])
	assert.NotContains(t, got, "image", "FROM images are not inputs")

	// Changing the Dockerfile changes the key.
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".devcontainer/Dockerfile"), []byte(dockerfile+"# changed\n"), 0o644))
	img2, err := build(t, s, dir, buildOpt{attrs: map[string]string{"build-arg:localEnv:WHO": "from-env"}})
	require.NoError(t, err)
	_, inputs2, err := cachekey.FromLabels(img2.config.Config.Labels)
	require.NoError(t, err)
	changes := cachekey.Diff(inputs, inputs2)
	require.Len(t, changes, 1)
	assert.Equal(t, "dockerfile", changes[0].Name)
}
