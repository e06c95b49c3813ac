package devcontainer

import (
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseJSONC(t *testing.T) {
	src := `// syntax=example/frontend
{
	// a comment
	"name": "x", /* block */
	"image": "alpine:3",
	"unknownProperty": {"ignored": true},
	"features": {
		"./fa": {"opt": "v",},
		"ghcr.io/devcontainers/features/go:1": "1.22",
		"./fb": true,
	},
	"containerEnv": {"A": "1", "B": "${localEnv:HOME}"},
	"remoteUser": "dev",
}
`
	c, err := Parse("devcontainer.json", []byte(src))
	require.NoError(t, err)
	assert.Equal(t, "alpine:3", c.Image)
	assert.Nil(t, c.Build)
	require.Len(t, c.Features, 3)
	assert.Equal(t, "./fa", c.Features[0].ID)
	assert.JSONEq(t, `{"opt":"v"}`, string(c.Features[0].Value))
	assert.Equal(t, Position{Line: 8, Column: 11}, c.Features[0].Range.Start)
	assert.JSONEq(t, `"1.22"`, string(c.Features[1].Value))
	assert.Equal(t, map[string]string{"A": "1", "B": "${localEnv:HOME}"}, c.ContainerEnv)
	assert.Equal(t, "dev", c.RemoteUser)
	names := []string{}
	for _, m := range c.Members {
		names = append(names, m.Name)
	}
	assert.Equal(t, []string{"name", "image", "unknownProperty", "features", "containerEnv", "remoteUser"}, names)
}

func TestParseBuild(t *testing.T) {
	c, err := Parse("devcontainer.json", []byte(`{"build": {"dockerfile": "Dockerfile", "context": "..", "args": {"B": "2", "A": "1"}, "target": "dev", "cacheFrom": "x"}}`))
	require.NoError(t, err)
	require.NotNil(t, c.Build)
	assert.Equal(t, "Dockerfile", c.Build.Dockerfile)
	assert.Equal(t, "..", c.Build.Context)
	assert.Equal(t, []string{"B", "A"}, c.Build.ArgOrder)
	assert.Equal(t, []string{"x"}, c.Build.CacheFrom)

	c, err = Parse("devcontainer.json", []byte(`{"dockerFile": "D", "context": "ctx"}`))
	require.NoError(t, err)
	assert.Equal(t, &Build{Dockerfile: "D", Context: "ctx"}, c.Build)
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      string
		kind      error
	}{
		{"syntax", "{\n  \"image\": \"a\"\n  \"name\": 1\n}", "devcontainer.json:3:3: syntax error", errdefs.ErrInvalidArgument},
		{"not object", "[1]", "devcontainer.json:1:1: must contain a JSON object literal", errdefs.ErrInvalidArgument},
		{"wrong type", "{\n \"image\": 5\n}", "devcontainer.json:2:11: image: want a string, got a number", errdefs.ErrInvalidArgument},
		{"map element", "{\"image\": \"a\",\n \"containerEnv\": {\"A\": \"x\",\n  \"B\": true}}", "devcontainer.json:3:8: containerEnv.B: want a string, got a boolean", errdefs.ErrInvalidArgument},
		{"array element", "{\"image\": \"a\", \"overrideFeatureInstallOrder\": [\"a\", 2]}", "devcontainer.json:1:53: overrideFeatureInstallOrder[1]: want a string, got a number", errdefs.ErrInvalidArgument},
		{"feature value", "{\"image\": \"a\", \"features\": {\"./x\": 3}}", "devcontainer.json:1:36: features../x: want an options object", errdefs.ErrInvalidArgument},
		{"compose", "{\n\"dockerComposeFile\": \"dc.yml\", \"service\": \"app\"}", "devcontainer.json:2:22: dockerComposeFile: Docker Compose configurations are not supported", errdefs.ErrNotImplemented},
		{"no base", "{\"name\": \"x\"}", `neither "image" nor "build.dockerfile" is set`, errdefs.ErrInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("devcontainer.json", []byte(tc.src))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.ErrorIs(t, err, tc.kind)
		})
	}
}

func TestSubstitute(t *testing.T) {
	env := map[string]string{"HOME": "/root", "EMPTY": ""}
	s := Substituter{
		LocalEnv:             func(n string) (string, bool) { v, ok := env[n]; return v, ok },
		LocalWorkspaceFolder: "/src/proj",
	}
	for in, want := range map[string]string{
		"${localEnv:HOME}/x":              "/root/x",
		"${env:HOME}":                     "/root",
		"${localEnv:NOPE}":                "",
		"${localEnv:NOPE:def:ault}":       "def",
		"${localEnv:EMPTY:def}":           "",
		"${localWorkspaceFolder}":         "/src/proj",
		"${localWorkspaceFolderBasename}": "proj",
		"${containerWorkspaceFolder}":     "/workspaces/proj",
		"${devcontainerId}":               "${devcontainerId}",
		"${containerEnv:PATH}":            "${containerEnv:PATH}",
		"${unknownVar}":                   "${unknownVar}",
	} {
		assert.Equal(t, want, s.String(in), in)
	}
	c, err := Parse("devcontainer.json", []byte(`{"image": "img:${localEnv:TAG:1}", "containerEnv": {"H": "${localEnv:HOME}"}, "build": {"dockerfile": "D", "args": {"A": "${localWorkspaceFolderBasename}"}}}`))
	require.NoError(t, err)
	sc := c.Substitute(s)
	assert.Equal(t, "img:1", sc.Image)
	assert.Equal(t, "/root", sc.ContainerEnv["H"])
	assert.Equal(t, "proj", sc.Build.Args["A"])
	assert.Equal(t, "${localEnv:HOME}", c.ContainerEnv["H"], "the original stays raw")
}

func TestEmptyLocalEnv(t *testing.T) {
	s := Substituter{LocalEnv: func(n string) (string, bool) {
		v, ok := map[string]string{"SET": "x", "EMPTY": ""}[n]
		return v, ok
	}}
	require.Equal(t, []string{"EMPTY", "UNSET"}, s.EmptyLocalEnv("${localEnv:SET}/${localEnv:EMPTY}/${env:UNSET}/${localEnv:D:default}/${localWorkspaceFolder}"))
	require.Nil(t, s.EmptyLocalEnv("registry/base"))
}
