package hostkey

import (
	"errors"
	"os"
	"path/filepath"
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
			pos:    devcontainer.Position{Line: 4, Column: 5}, path: `features["./gone"]`, msg: "gone/devcontainer-feature.json: not found", kind: cerrdefs.ErrNotFound,
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
			t.Log(err)
			assert.NotEmpty(t, de.Data)
			if tc.kind != nil {
				assert.True(t, errors.Is(err, tc.kind), "%v is %v", err, tc.kind)
			}
		})
	}
}
