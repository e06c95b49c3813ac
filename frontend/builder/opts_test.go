package builder

import (
	"testing"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/stretchr/testify/assert"
)

func TestContextDir(t *testing.T) {
	for _, tc := range []struct{ filename, arg, want string }{
		{"devcontainer.json", "", ".devcontainer"},               // buildx -f .devcontainer/devcontainer.json .
		{".devcontainer/devcontainer.json", "", ".devcontainer"}, // buildctl --local dockerfile=.
		{".devcontainer.json", "", "."},                          // .devcontainer.json at the root
		{".devcontainer/python/devcontainer.json", "", ".devcontainer/python"},
		{"devcontainer.json", "config/dev", "config/dev"},
	} {
		bc := &dockerui.Client{Config: dockerui.Config{BuildArgs: map[string]string{}}}
		if tc.arg != "" {
			bc.BuildArgs[devcontainer.ArgConfigDir] = tc.arg
		}
		o := parseOptionsFrom(bc, map[string]string{keyFilename: tc.filename}, "sess")
		assert.Equal(t, tc.want, o.contextDir, tc.filename)
	}
}

func TestOptions(t *testing.T) {
	bc := &dockerui.Client{Config: dockerui.Config{BuildArgs: map[string]string{
		"localEnv:HOME":        "/home/me",
		"localWorkspaceFolder": "/src/proj",
		argFeatureAuth:         "ghcr.io=gh, registry.example:5000=ex",
		argInsecureRegistries:  "reg.internal:5000",
	}}}
	o := parseOptionsFrom(bc, map[string]string{keyDockerfileKey: "dc", keyLocalSession + "dc": "other"}, "sess")
	assert.Equal(t, "/home/me/x", o.subst.String("${localEnv:HOME}/x"))
	assert.Equal(t, "proj", o.subst.String("${localWorkspaceFolderBasename}"))
	assert.Equal(t, map[string]string{"ghcr.io": "gh", "registry.example:5000": "ex"}, o.featureAuth)
	assert.Equal(t, "dc", o.dfLocal)
	assert.Equal(t, "other", o.dfSession)
	assert.Equal(t, "devcontainer.json", o.filename)

	r := &source{o: o}
	for reg, want := range map[string]bool{
		"localhost:5000": true, "127.0.0.1:5765": true, "[::1]:5000": true, "reg.internal:5000": true,
		"ghcr.io": false, "10.0.0.1:5000": false,
	} {
		assert.Equal(t, want, r.insecure(reg), reg)
	}
}

func TestVariableArgs(t *testing.T) {
	args := variableArgs([]byte("{\n \"image\": \"img:${localEnv:TAG:1.0}\",\n \"containerEnv\": {\"P\": \"${localWorkspaceFolderBasename}\", \"H\": \"${env:HOME}\", \"T\": \"${localEnv:TAG}\"}\n}"))
	var names, values []string
	var lines []int32
	for _, a := range args {
		names, values = append(names, a.Name), append(values, a.Value)
		lines = append(lines, a.Location.Ranges[0].Start.Line)
	}
	assert.Equal(t, []string{"localEnv:TAG", "localWorkspaceFolder", "localEnv:HOME"}, names)
	assert.Equal(t, []string{"1.0", "", ""}, values)
	assert.Equal(t, []int32{2, 3, 3}, lines)
}
