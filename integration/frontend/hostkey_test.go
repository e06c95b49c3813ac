package frontend

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/hostkey"
	"github.com/devcache/devcache/integration/testenv"
)

// TestHostKeyMatchesImage: the key the devcache CLI computes on the host
// before building (frontend/hostkey) is the key the frontend writes into the
// image, for local, tarball and OCI Features and both kinds of base.
func TestHostKeyMatchesImage(t *testing.T) {
	s := testenv.Get(t)
	pushFeature(t, s.Registry, "devcache-test/features/hostfeat", "1", colorFeature("hostfeat"))
	tgz := featureTar(t, colorFeature("hosttar"), true)
	addr := loopback(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(tgz) }))
	feats := `"features": {"./hello": {"greeting": "${localEnv:WHO}"}, "./world": {}, ` +
		`"` + s.Registry + `/devcache-test/features/hostfeat:1": {}, "http://` + addr + `/devcontainer-feature-hosttar.tgz": {}}`

	for name, dc := range map[string]string{
		"image":      `{"image": "` + s.BusyboxImage() + `", ` + feats + `}`,
		"dockerfile": `{"build": {"dockerfile": "Dockerfile"}, ` + feats + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			files := localFeatures()
			files[".devcontainer/Dockerfile"] = "FROM " + s.BusyboxImage() + "\n"
			files[".devcontainer/devcontainer.json"] = dc
			dir := writeFiles(t, files)

			in, err := hostkey.Compute(t.Context(), filepath.Join(dir, ".devcontainer", "devcontainer.json"), hostkey.Options{
				Subst: devcontainer.Substituter{LocalEnv: func(string) (string, bool) { return "host", true }},
			})
			require.NoError(t, err)

			img, err := build(t, s, dir, buildOpt{attrs: map[string]string{"build-arg:localEnv:WHO": "host"}})
			require.NoError(t, err)
			key, inputs, err := cachekey.FromLabels(img.config.Config.Labels)
			require.NoError(t, err)
			assert.Empty(t, cachekey.Diff(inputs, in.List()))
			assert.Equal(t, key, in.Key())
		})
	}
}
