package hostkey

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/devcontainer"
)

// Every error that comes from a place in devcontainer.json names that
// place: the member, from its name, and keeps its kind.
func TestErrorsPointAtTheEntry(t *testing.T) {
	for name, tc := range map[string]struct {
		config string
		env    map[string]string
		pos    devcontainer.Position
		path   string
		msg    string
		kind   error
	}{
		"missing Dockerfile": {
			config: "{\n  \"build\": {\n    \"dockerfile\": \"Nope.Dockerfile\"\n  }\n}\n",
			pos:    devcontainer.Position{Line: 3, Column: 5}, path: "build.dockerfile", msg: "Nope.Dockerfile: not found", kind: cerrdefs.ErrNotFound,
		},
		"legacy dockerFile": {
			config: "{\n  \"dockerFile\": \"Nope.Dockerfile\"\n}\n",
			pos:    devcontainer.Position{Line: 2, Column: 3}, path: "dockerFile", msg: "Nope.Dockerfile: not found", kind: cerrdefs.ErrNotFound,
		},
		"missing local Feature": {
			config: "{\n  \"image\": \"127.0.0.1:1/x\",\n  \"features\": {\n    \"./gone\": {}\n  }\n}\n",
			pos:    devcontainer.Position{Line: 4, Column: 5}, path: `features["./gone"]`, msg: "gone/devcontainer-feature.json not found", kind: cerrdefs.ErrNotFound,
		},
		"empty localEnv in image": {
			config: "{\n  \"image\": \"${localEnv:DEVCACHE_TEST_REGISTRY}/base/debian:bookworm\"\n}\n",
			pos:    devcontainer.Position{Line: 2, Column: 3}, path: "image", msg: "${localEnv:DEVCACHE_TEST_REGISTRY} is empty or unset",
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "devcontainer.json")
			require.NoError(t, os.WriteFile(path, []byte(tc.config), 0o644))
			_, err := Compute(t.Context(), path, Options{Subst: devcontainer.Substituter{LocalEnv: func(string) (string, bool) { return "", false }}})
			var de *devcontainer.Error
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tc.pos, de.Range.Start)
			assert.Equal(t, tc.path, de.Path)
			assert.Contains(t, err.Error(), tc.msg)
			assert.NotEmpty(t, de.Data)
			if tc.kind != nil {
				assert.True(t, errors.Is(err, tc.kind), "%v is %v", err, tc.kind)
			}
		})
	}
}

// The limits: devcontainer.json, a Feature's metadata and the
// devcontainer.metadata label, each a configuration error.
func TestLimits(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	for name, tc := range map[string]struct {
		files map[string]string
		msg   string
	}{
		"devcontainer.json": {map[string]string{"devcontainer.json": `{"image": "x", "name": "` + big + `"}`}, "over the limit of 1048576 (1 MiB)"},
		"feature metadata": {map[string]string{
			"devcontainer.json":           `{"build": {"dockerfile": "Dockerfile"}, "features": {"./f": {}}}`,
			"Dockerfile":                  "FROM scratch\n",
			"f/devcontainer-feature.json": `{"id": "f", "version": "1", "description": "` + big + `"}`,
		}, "over the limit of 1048576 bytes"},
		"metadata label": {map[string]string{
			"devcontainer.json":           `{"build": {"dockerfile": "Dockerfile"}, "features": {"./f": {}}, "customizations": {"x": "` + big[:600<<10] + `"}}`,
			"Dockerfile":                  "FROM scratch\n",
			"f/devcontainer-feature.json": `{"id": "f", "version": "1", "customizations": {"x": "` + big[:600<<10] + `"}}`,
		}, "devcontainer.metadata label would be"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for n, c := range tc.files {
				require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644))
			}
			_, err := Compute(t.Context(), filepath.Join(dir, "devcontainer.json"), Options{})
			require.ErrorIs(t, err, cerrdefs.ErrInvalidArgument)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Less(t, len(err.Error()), 1000, "the message does not carry the value")
		})
	}
}
