package frontend

import (
	"testing"

	solvererrdefs "github.com/moby/buildkit/solver/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

func TestMalformedConfig(t *testing.T) {
	s := testenv.Get(t)
	for _, tc := range []struct {
		name, json string
		want       string
		line       int32
	}{
		{"syntax", "{\n  \"image\": \"x\"\n  \"name\": \"missing comma\"\n}\n", "devcontainer.json:3:3: syntax error", 3},
		{"type", "{\n  \"image\": \"x\",\n  \"containerEnv\": {\"A\": 1}\n}\n", "devcontainer.json:3:25: containerEnv.A: want a string, got a number", 3},
		{"compose", "{\n  \"dockerComposeFile\": \"docker-compose.yml\",\n  \"service\": \"app\"\n}\n", "Docker Compose configurations are not supported", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{".devcontainer/devcontainer.json": tc.json})
			_, err := build(t, s, dir, buildOpt{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			// The error carries devcontainer.json and the range, so buildx
			// prints the offending lines.
			srcs := solvererrdefs.Sources(err)
			require.NotEmpty(t, srcs)
			assert.Equal(t, "devcontainer.json", srcs[0].Info.Filename)
			require.NotEmpty(t, srcs[0].Ranges)
			assert.Equal(t, tc.line, srcs[0].Ranges[0].Start.Line)
		})
	}
}

func TestMissingLocalFeatureIsNotFound(t *testing.T) {
	s := testenv.Get(t)
	dir := writeFiles(t, map[string]string{".devcontainer/devcontainer.json": `{"image": "` + s.BusyboxImage() + `", "features": {"./nope": {}}}`})
	_, err := build(t, s, dir, buildOpt{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "local Feature ./nope: nope/devcontainer-feature.json not found")
	srcs := solvererrdefs.Sources(err)
	require.NotEmpty(t, srcs, "the error points at the features property")
}

// TestFailingFeatureShowsItsLine: a Feature whose install fails is reported
// at its entry in devcontainer.json.
func TestFailingFeatureShowsItsLine(t *testing.T) {
	s := testenv.Get(t)
	dir := writeFiles(t, map[string]string{
		".devcontainer/devcontainer.json":                "{\n  \"image\": \"" + s.BusyboxImage() + "\",\n  \"features\": {\n    \"./broken\": {}\n  }\n}\n",
		".devcontainer/broken/devcontainer-feature.json": `{"id": "broken", "version": "1.0.0", "name": "Broken"}`,
		".devcontainer/broken/install.sh":                "#!/bin/sh\necho installing\nexit 3\n",
	})
	_, err := build(t, s, dir, buildOpt{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exit code: 3")
	var lines []int32
	for _, src := range solvererrdefs.Sources(err) {
		if src.Info.Filename == "devcontainer.json" {
			for _, r := range src.Ranges {
				lines = append(lines, r.Start.Line)
			}
		}
	}
	assert.Contains(t, lines, int32(4), "the error points at the Feature's entry")
}
