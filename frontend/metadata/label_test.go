package metadata

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/features"
)

func TestStringify(t *testing.T) {
	for in, want := range map[string]string{
		`{ "b" : 1, "a": [true, null, 1.50, 1e21, 0.0000001], "s": "<&>\u0041\n\u0001é" }`: `{"b":1,"a":[true,null,1.5,1e+21,1e-7],"s":"<&>A\n\u0001é"}`,
		`"x"`: `"x"`,
	} {
		got, err := Stringify([]byte(in))
		require.NoError(t, err)
		assert.Equal(t, want, string(got))
	}
}

func TestLabel(t *testing.T) {
	c, err := devcontainer.Parse("devcontainer.json", []byte(`{
		// comments are not kept
		"name": "not in the label",
		"image": "img",
		"remoteUser": "dev",
		"postCreateCommand": "echo $HOME",
		"containerEnv": {"B": "${localWorkspaceFolderBasename}", "A": "1"},
		"customizations": {"vscode": {"extensions": ["z", "a"]}},
		"features": {"./fa": {}},
	}`))
	require.NoError(t, err)
	md, err := features.ParseMetadata("f.json", []byte(`{"id": "fa", "version": "1", "privileged": true, "containerEnv": {"X": "1"}, "mounts": [{"type": "volume", "source": "v-${devcontainerId}", "target": "/v"}], "options": {}}`))
	require.NoError(t, err)
	ref, err := features.ParseRef("./fa")
	require.NoError(t, err)
	fs := []*features.Feature{{Ref: ref, Resolved: &features.Resolved{Metadata: md}}}

	base := Parse(`[{"remoteUser":"vscode"},{"id":"ghcr.io/x/y:1","init":true}]`)
	require.Len(t, base, 2)

	got, err := Label(base, fs, c)
	require.NoError(t, err)
	//nolint:testifylint // byte-exact on purpose: the label must equal the reference CLI\'s bytes
	assert.Equal(t, `[ {"remoteUser":"vscode"}, {"id":"ghcr.io/x/y:1","init":true}, `+
		`{"id":"./fa","privileged":true,"mounts":[{"type":"volume","source":"v-${devcontainerId}","target":"/v"}]}, `+
		`{"postCreateCommand":"echo $HOME","customizations":{"vscode":{"extensions":["z","a"]}},"containerEnv":{"B":"${localWorkspaceFolderBasename}","A":"1"},"remoteUser":"dev"} ]`, got)

	// A single-object label is accepted; an empty configuration entry is dropped.
	c2, err := devcontainer.Parse("devcontainer.json", []byte(`{"image": "x"}`))
	require.NoError(t, err)
	got, err = Label(Parse(`{"remoteUser":"u"}`), nil, c2)
	require.NoError(t, err)
	//nolint:testifylint // byte-exact on purpose: the label must equal the reference CLI\'s bytes
	assert.Equal(t, `[ {"remoteUser":"u"} ]`, got)
	got, err = Label(Parse(`not json`), nil, c2)
	require.NoError(t, err)
	assert.Empty(t, got)
}
