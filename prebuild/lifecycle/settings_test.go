package lifecycle

import (
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/devcontainer"
)

func TestReadSettings(t *testing.T) {
	parse := func(s string) *devcontainer.Config {
		cfg, err := devcontainer.Parse("devcontainer.json", []byte(s))
		require.NoError(t, err)
		return cfg
	}
	s, err := ReadSettings("", parse(`{"image": "x"}`))
	require.NoError(t, err)
	require.Equal(t, Settings{UserEnvProbe: ProbeLoginInteractiveShell, WaitFor: UpdateContent, UpdateRemoteUserUID: true}, s, "the spec's defaults")

	label := `[{"id": "ghcr.io/x/feature:1", "remoteEnv": {"A": "feature", "B": "b"}, "userEnvProbe": "none"}, {"remoteEnv": {"C": "c"}}]`
	s, err = ReadSettings(label, parse(`{"image": "x",
		"remoteEnv": {"Z": "${containerEnv:PATH}:/z", "A": "file", "C": null},
		"userEnvProbe": "loginShell", "waitFor": "postCreateCommand", "updateRemoteUserUID": false}`))
	require.NoError(t, err)
	require.Equal(t, []string{"A=file", "B=b", "Z=${containerEnv:PATH}:/z"}, s.RemoteEnv, "label entries then the file, last wins, null unsets")
	require.Equal(t, ProbeLoginShell, s.UserEnvProbe)
	require.Equal(t, PostCreate, s.WaitFor)
	require.False(t, s.UpdateRemoteUserUID)

	_, err = ReadSettings("", parse("{\"image\": \"x\",\n  \"userEnvProbe\": \"bash\"}"))
	require.ErrorIs(t, err, errdefs.ErrInvalidArgument)
	require.ErrorContains(t, err, "devcontainer.json:2:19")
	_, err = ReadSettings("", parse(`{"image": "x", "waitFor": "initializeCommand"}`))
	require.ErrorContains(t, err, "waitFor")
}

func TestMergeEnv(t *testing.T) {
	require.Equal(t, []string{"PATH=/x", "HOME=/h", "NEW=1"}, MergeEnv([]string{"PATH=/bin", "HOME=/h"}, []string{"PATH=/x", "NEW=1"}))
}
