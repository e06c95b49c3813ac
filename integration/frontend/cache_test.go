package frontend

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

// TestChangingLastFeatureRerunsOneStep: each Feature installs in its own
// LLB step, so changing the last of five re-runs exactly one install step.
func TestChangingLastFeatureRerunsOneStep(t *testing.T) {
	s := testenv.Get(t)
	// BuildKit's cache is content-addressed across builds: a nonce keeps an
	// earlier run of this test from satisfying the rebuild.
	nonce := time.Now().UnixNano()
	files := map[string]string{}
	var refs []string
	for i := 1; i <= 5; i++ {
		id := fmt.Sprintf("f%d", i)
		files[".devcontainer/"+id+"/devcontainer-feature.json"] = `{"id": "` + id + `", "version": "1.0.0"}`
		files[".devcontainer/"+id+"/install.sh"] = fmt.Sprintf("#!/bin/sh\n# %d\nmkdir -p /opt && echo %s-v1 > /opt/%s\n", nonce, id, id)
		refs = append(refs, `"./`+id+`": {}`)
		if i > 1 {
			// A chain keeps the install order f1..f5.
			files[".devcontainer/"+id+"/devcontainer-feature.json"] = `{"id": "` + id + `", "version": "1.0.0", "installsAfter": ["./f` + fmt.Sprint(i-1) + `"]}`
		}
	}
	files[".devcontainer/devcontainer.json"] = `{"image": "` + s.BusyboxImage() + `", "features": {` + strings.Join(refs, ", ") + `}}`
	dir := writeFiles(t, files)

	_, err := build(t, s, dir, buildOpt{})
	require.NoError(t, err)
	require.NoError(t, writeFile(dir, ".devcontainer/f5/install.sh", fmt.Sprintf("#!/bin/sh\n# %d\nmkdir -p /opt && echo f5-v2 > /opt/f5\n", nonce)))
	img, err := build(t, s, dir, buildOpt{})
	require.NoError(t, err)
	assert.Equal(t, "f5-v2\n", img.file(t, "opt/f5"))
	assert.Equal(t, "f1-v1\n", img.file(t, "opt/f1"))

	var ran, cached []string
	for name, v := range img.vertices {
		if !strings.HasPrefix(name, "[features] install ") {
			continue
		}
		if v.Cached {
			cached = append(cached, name)
		} else {
			ran = append(ran, name)
		}
	}
	assert.Equal(t, []string{"[features] install ./f5"}, ran)
	assert.Len(t, cached, 4)
}

// TestNoCacheRerunsFeatures: --no-cache re-runs the Feature steps.
func TestNoCacheRerunsFeatures(t *testing.T) {
	s := testenv.Get(t)
	files := localFeatures()
	files[".devcontainer/devcontainer.json"] = `{"image": "` + s.BusyboxImage() + `", "features": {"./world": {}}}`
	dir := writeFiles(t, files)
	_, err := build(t, s, dir, buildOpt{})
	require.NoError(t, err)
	img, err := build(t, s, dir, buildOpt{})
	require.NoError(t, err)
	require.Contains(t, img.vertices, "[features] install ./world")
	assert.True(t, img.vertices["[features] install ./world"].Cached)

	img, err = build(t, s, dir, buildOpt{attrs: map[string]string{"no-cache": ""}})
	require.NoError(t, err)
	assert.False(t, img.vertices["[features] install ./world"].Cached)
}
