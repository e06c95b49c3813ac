package prebuild

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/prebuild/environment"
	"github.com/devcache/devcache/prebuild/runner"
)

// TestCommandsRunAsRemoteUser: lifecycle commands run as remoteUser (with
// its HOME), in the prebuild and in the environment started from it.
func TestCommandsRunAsRemoteUser(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	h := newHost(t, s, filepath.Join(t.TempDir(), "a"))
	project := projectName(t)
	ws, cfg := newProject(t, `{"image": "busybox", "remoteUser": "nobody",
		"onCreateCommand": "echo $(id -un) $HOME > /tmp/oncreate",
		"postCreateCommand": ["/bin/sh", "-c", "id -un > /tmp/postcreate"]}`, nil)
	_, err := h.runner(t).Run(ctx, runner.Request{Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg})
	require.NoError(t, err)
	r, err := h.creator().Create(ctx, environment.Request{ID: project + "-env", Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg})
	require.NoError(t, err)
	removeOnCleanup(t, r)
	require.NotNil(t, r.Prebuild)
	home := execOut(t, ctx, r, `awk -F: '$1 == "nobody" {print $6}' /etc/passwd`)
	require.NotEqual(t, "/root\n", home)
	out := execOut(t, ctx, r, "cat /tmp/oncreate /tmp/postcreate; stat -c %U /tmp/oncreate")
	require.Equal(t, "nobody "+home+"nobody\nnobody\n", out, "onCreate and postCreate ran as nobody, with nobody's HOME")
}
