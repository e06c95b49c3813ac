package frontend

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

// TestConfigLayouts: paths in devcontainer.json are relative to its folder
// whatever the "dockerfile" local is — buildctl's --local dockerfile=.
// with filename .devcontainer/devcontainer.json, and a root .devcontainer.json
// (whose lockfile is .devcontainer-lock.json).
func TestConfigLayouts(t *testing.T) {
	s := testenv.Get(t)
	t.Run("dockerfile local is the project root", func(t *testing.T) {
		files := localFeatures()
		files[".devcontainer/Dockerfile"] = "FROM " + s.BusyboxImage() + "\nCOPY app.txt /app.txt\n"
		files["app.txt"] = "root context\n"
		files[".devcontainer/devcontainer.json"] = `{"build": {"dockerfile": "Dockerfile", "context": ".."}, "features": {"./world": {}}}`
		dir := writeFiles(t, files)
		img, err := build(t, s, dir, buildOpt{dockerfileDir: ".", attrs: map[string]string{"filename": ".devcontainer/devcontainer.json"}})
		require.NoError(t, err)
		assert.Equal(t, "root context\n", img.file(t, "app.txt"))
		assert.Equal(t, "world\n", img.file(t, "opt/world"))
	})
	t.Run("root .devcontainer.json", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{
			".devcontainer.json":             `{"image": "` + s.BusyboxImage() + `", "features": {"./feat": {}}}`,
			"feat/devcontainer-feature.json": `{"id": "feat", "version": "1.0.0"}`,
			"feat/install.sh":                "#!/bin/sh\nmkdir -p /opt && echo root > /opt/feat\n",
			".devcontainer-lock.json":        "not json",
		})
		_, err := build(t, s, dir, buildOpt{dockerfileDir: ".", attrs: map[string]string{"filename": ".devcontainer.json"}})
		require.Error(t, err, "the dot lockfile next to .devcontainer.json is read")
		assert.Contains(t, err.Error(), ".devcontainer-lock.json")
		require.NoError(t, writeFile(dir, ".devcontainer-lock.json", `{"features": {}}`))
		img, err := build(t, s, dir, buildOpt{dockerfileDir: ".", attrs: map[string]string{"filename": ".devcontainer.json"}})
		require.NoError(t, err)
		assert.Equal(t, "root\n", img.file(t, "opt/feat"))
	})
}
