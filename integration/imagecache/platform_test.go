package imagecache

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
)

// onPlatform makes r a runner of platform spec: its key and its build both
// target it. A runner of a foreign platform keeps no runtime (this host's
// containerd cannot unpack it), so only the reference is the result.
func (r *runner) onPlatform(t *testing.T, spec string, foreign bool) *runner {
	t.Helper()
	ps, err := cachekey.ParsePlatforms([]string{spec})
	require.NoError(t, err)
	r.cache.Keyer = imagecache.HostKeyer{Platforms: ps}
	r.cache.Builder.(*imagecache.BuildKit).Platforms = ps
	if foreign {
		r.cache.Runtime = nil
	}
	return r
}

// TestPlatformInTheKey: an arm64 runner of a project misses the image an
// amd64 runner pushed (instead of pulling an image it cannot run), builds
// and pushes its own under another key; the next arm64 runner, asking for
// linux/arm64/v8, hits that one. The image carries its platform input.
// (A Dockerfile configuration with no RUN step: buildkitd builds arm64
// without emulation.)
func TestPlatformInTheKey(t *testing.T) {
	e := newEnv(t)
	ws := t.TempDir()
	write(t, ws, map[string]string{
		".devcontainer/devcontainer.json": `{"build": {"dockerfile": "Dockerfile", "context": ".."}}`,
		".devcontainer/Dockerfile":        "FROM scratch\nCOPY README.md /README.md\n",
		"README.md":                       "a project\n",
	})
	amd, err := e.runner("amd").onPlatform(t, "linux/amd64", false).get(t, ws, "p1", contract.PurposeCreate)
	require.NoError(t, err)
	require.Equal(t, imagecache.OutcomeMiss, amd.Outcome)
	require.True(t, amd.Pushed)

	armRunner := e.runner("arm").onPlatform(t, "linux/arm64", true)
	arm, err := armRunner.get(t, ws, "p1", contract.PurposeCreate)
	require.NoError(t, err, armRunner.logs.String())
	assert.Equal(t, imagecache.OutcomeMiss, arm.Outcome, "another platform misses")
	assert.NotEqual(t, amd.Key, arm.Key)
	require.True(t, arm.Pushed)
	assert.True(t, e.cached("p1", amd.Key))
	assert.True(t, e.cached("p1", arm.Key))

	// The pushed arm64 image is labelled with its platform input.
	creds, err := e.proxy.Issue(t.Context(), "p1", contract.PurposeRebuild)
	require.NoError(t, err)
	img, err := (&imagecache.OCIRegistry{}).Lookup(t.Context(), arm.Image, creds)
	require.NoError(t, err)
	labelled, inputs, err := cachekey.FromLabels(img.Labels)
	require.NoError(t, err)
	assert.Equal(t, arm.Key, labelled.String(), "the frontend's key (in the image) is the runner's key (its tag)")
	assert.Contains(t, inputs, cachekey.Input{Name: cachekey.InputPlatform, Value: "linux/arm64"})

	again, err := e.runner("arm2").onPlatform(t, "linux/arm64/v8", true).get(t, ws, "p1", contract.PurposeCreate)
	require.NoError(t, err)
	assert.Equal(t, imagecache.OutcomeHit, again.Outcome, "linux/arm64/v8 is linux/arm64")
	assert.Equal(t, arm.Key, again.Key)
}
