package frontend

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/hostkey"
	"github.com/devcache/devcache/integration/testenv"
)

// TestHostKeyMatchesImage: the key the devcache CLI computes on the host
// before building (frontend/hostkey) is the key the frontend writes into the
// image, for local, tarball and OCI Features, both kinds of base, and the
// cases where the two once had copies of a rule that drifted apart: the
// lockfile next to a .devcontainer.json (.devcontainer-lock.json) and an OCI
// Feature pinned by a lockfile whose tag has moved since.
func TestHostKeyMatchesImage(t *testing.T) {
	s := testenv.Get(t)
	pushFeature(t, s.Registry, "devcache-test/features/hostfeat", "1", colorFeature("hostfeat"))
	tgz := featureTar(t, colorFeature("hosttar"), true)
	addr := loopback(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(tgz) }))
	feats := `"features": {"./hello": {"greeting": "${localEnv:WHO}"}, "./world": {}, ` +
		`"` + s.Registry + `/devcache-test/features/hostfeat:1": {}, "http://` + addr + `/devcontainer-feature-hosttar.tgz": {}}`

	// pinned pushes a Feature, pins it in a lockfile, then moves its tag:
	// the key must carry the pinned digest on both sides.
	pinned := func(t *testing.T, repo string) (ref, lockfile string, pin digest.Digest) {
		ref = s.Registry + "/" + repo + ":1"
		pin = pushFeature(t, s.Registry, repo, "1", colorFeature("pinfeat"))
		lockfile = fmt.Sprintf(`{"features": {%q: {"version": "1.2.3", "resolved": %q, "integrity": %q}}}`,
			ref, s.Registry+"/"+repo+"@"+pin.String(), pin)
		moved := colorFeature("pinfeat")
		moved["install.sh"] += "# moved\n"
		require.NotEqual(t, pin, pushFeature(t, s.Registry, repo, "1", moved), "the tag moved")
		return ref, lockfile, pin
	}

	for name, tc := range map[string]struct {
		files func(t *testing.T) (files map[string]string, pin digest.Digest)
		// config is devcontainer.json's path in the project; the
		// dockerfile local is its folder.
		config string
	}{
		"image": {config: ".devcontainer/devcontainer.json", files: func(*testing.T) (map[string]string, digest.Digest) {
			return map[string]string{".devcontainer/devcontainer.json": `{"image": "` + s.BusyboxImage() + `", ` + feats + `}`}, ""
		}},
		"dockerfile": {config: ".devcontainer/devcontainer.json", files: func(*testing.T) (map[string]string, digest.Digest) {
			return map[string]string{
				".devcontainer/devcontainer.json": `{"build": {"dockerfile": "Dockerfile"}, ` + feats + `}`,
				".devcontainer/Dockerfile":        "FROM " + s.BusyboxImage() + "\n",
			}, ""
		}},
		"feature pinned by the lockfile": {config: ".devcontainer/devcontainer.json", files: func(t *testing.T) (map[string]string, digest.Digest) {
			ref, lock, pin := pinned(t, "devcache-test/features/pinned-by-lockfile")
			return map[string]string{
				".devcontainer/devcontainer.json":      `{"image": "` + s.BusyboxImage() + `", "features": {"` + ref + `": {}}}`,
				".devcontainer/devcontainer-lock.json": lock,
			}, pin
		}},
		".devcontainer.json with its lockfile": {config: ".devcontainer.json", files: func(t *testing.T) (map[string]string, digest.Digest) {
			ref, lock, pin := pinned(t, "devcache-test/features/pinned-dot-config")
			return map[string]string{
				".devcontainer.json":      `{"image": "` + s.BusyboxImage() + `", "features": {"` + ref + `": {}}}`,
				".devcontainer-lock.json": lock,
			}, pin
		}},
	} {
		t.Run(name, func(t *testing.T) {
			files, pin := tc.files(t)
			for k, v := range localFeatures() {
				files[k] = v
			}
			dir := writeFiles(t, files)

			in, err := hostkey.Compute(t.Context(), filepath.Join(dir, filepath.FromSlash(tc.config)), hostkey.Options{
				Subst: devcontainer.Substituter{LocalEnv: func(string) (string, bool) { return "host", true }},
			})
			require.NoError(t, err)

			opt := buildOpt{attrs: map[string]string{"build-arg:localEnv:WHO": "host"}}
			if d := filepath.Dir(tc.config); d == "." {
				opt.dockerfileDir, opt.attrs["filename"] = ".", tc.config
			}
			img, err := build(t, s, dir, opt)
			require.NoError(t, err)
			key, inputs, err := cachekey.FromLabels(img.config.Config.Labels)
			require.NoError(t, err)
			assert.Empty(t, cachekey.Diff(inputs, in.List()))
			assert.Equal(t, key, in.Key())
			if pin != "" {
				require.Len(t, in.Features, 1)
				assert.Equal(t, pin, in.Features[0].Digest, "the lockfile's pin, not the moved tag")
			}
		})
	}
}
