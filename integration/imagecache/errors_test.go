package imagecache

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
)

// A malformed devcontainer.json fails before anything is built, naming the
// file, line and column; nothing reaches the cache.
func TestMalformedConfigNamesTheLine(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(map[string]string{".devcontainer/devcontainer.json": "{\n  \"image\": \"x\",\n  \"features\": {,\n}\n"})
	r := e.runner("a")
	res, err := r.get(t, ws, "p1", contract.PurposeCreate)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "devcontainer.json:3:")
	assert.Empty(t, res.Key)
}

// A Feature whose install fails fails the build with BuildKit's error, which
// points at the Feature's entry in devcontainer.json; no tag is pushed.
func TestFailedFeatureFailsTheBuild(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(map[string]string{
		".devcontainer/hello/install.sh": "#!/bin/sh\necho 'no such package: left-pad' >&2\nexit 3\n",
	})
	r := e.runner("a")
	res, err := r.get(t, ws, "p1", contract.PurposeCreate)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "building the dev container")
	assert.Contains(t, fmt.Sprintf("%+v", err), "exit code: 3")
	require.NotEmpty(t, res.Key)
	assert.False(t, e.cached("p1", res.Key))
}
