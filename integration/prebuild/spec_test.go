package prebuild

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/prebuild/environment"
	"github.com/devcache/devcache/prebuild/lifecycle"
	"github.com/devcache/devcache/prebuild/runner"
)

// TestSpecAtEnvironmentStart: the devcontainer.json properties that shape
// the remote user's session, each checked inside the container: remoteEnv
// (with ${containerEnv:…}) and userEnvProbe reach the lifecycle commands;
// updateRemoteUserUID gives the remote user the workspace owner's UID/GID;
// waitFor decides when the environment is ready (the later commands run
// after); secret files are gone once the commands ended.
func TestSpecAtEnvironmentStart(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	h := newHost(t, s, filepath.Join(t.TempDir(), "a"))
	project := projectName(t)
	// The prebuild writes a login profile (read by login shells) and gives
	// root a login shell that, like bash with its bashrc, reads an rc file
	// when interactive (ash's $ENV); environments from it probe them.
	const js = `{"image": "busybox",
		"onCreateCommand": "echo 'export PROBED=from-profile' >> /etc/profile; echo 'export PROBED_I=from-rc' > /etc/shrc; printf '#!/bin/sh\\nENV=/etc/shrc exec /bin/sh \"$@\"\\n' > /bin/rcsh; chmod +x /bin/rcsh; sed -i 's|^root:\\(.*\\):/bin/sh$|root:\\1:/bin/rcsh|' /etc/passwd",
		"remoteEnv": {"FROM_REMOTE": "r-${containerEnv:PROBED:unset}", "PATH": "${containerEnv:PATH}:/opt/remote-bin"},
		"userEnvProbe": "%s",
		"postCreateCommand": "echo \"$FROM_REMOTE|${PROBED:-none}|${PROBED_I:-none}|$PATH\" > /tmp/env-seen"}`
	ws, cfg := newProject(t, fmt.Sprintf(js, "loginShell"), nil)
	_, err := h.runner(t).Run(ctx, runner.Request{Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg})
	require.NoError(t, err)

	for probe, want := range map[string]string{
		"loginShell":            "r-from-profile|from-profile|none|",
		"interactiveShell":      "r-unset|none|from-rc|",
		"loginInteractiveShell": "r-from-profile|from-profile|from-rc|",
		"none":                  "r-unset|none|none|",
	} {
		require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(js, probe)), 0o644))
		r, err := h.creator().Create(ctx, environment.Request{ID: project + "-" + probe, Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg})
		require.NoError(t, err)
		removeOnCleanup(t, r)
		out := execOut(t, ctx, r, "cat /tmp/env-seen")
		require.Contains(t, out, want, "userEnvProbe %s", probe)
		require.Contains(t, out, ":/opt/remote-bin\n", "remoteEnv PATH from ${containerEnv:PATH}")
		require.Contains(t, out, "/bin:", "the container's PATH kept")
	}

	// updateRemoteUserUID: the remote user gets the workspace owner's ids
	// and can write into the bind-mounted workspace; false leaves it.
	ws2, cfg2 := newProject(t, `{"image": "busybox", "remoteUser": "nobody", "postCreateCommand": "id -u > uid-seen; id -g >> uid-seen"}`, nil)
	require.NoError(t, filepath.Walk(ws2, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 4321, 4322)
	}))
	r, err := h.creator().Create(ctx, environment.Request{ID: project + "-uid", Project: project, EnvironmentClass: "other", WorkspaceFolder: ws2, ConfigFile: cfg2, NoPrebuild: true})
	require.NoError(t, err)
	removeOnCleanup(t, r)
	require.Equal(t, "4321\n4322\n", execOut(t, ctx, r, "cat uid-seen"), "postCreate ran as nobody with the owner's UID/GID and wrote into the workspace")
	b, err := os.ReadFile(filepath.Join(ws2, "uid-seen"))
	require.NoError(t, err)
	require.Equal(t, "4321\n4322\n", string(b))
	require.NoError(t, os.WriteFile(cfg2, []byte(`{"image": "busybox", "remoteUser": "nobody", "updateRemoteUserUID": false, "postCreateCommand": "id -u > /tmp/uid-seen"}`), 0o644))
	r, err = h.creator().Create(ctx, environment.Request{ID: project + "-nouid", Project: project, EnvironmentClass: "other", WorkspaceFolder: ws2, ConfigFile: cfg2, NoPrebuild: true})
	require.NoError(t, err)
	removeOnCleanup(t, r)
	require.Equal(t, "65534\n", execOut(t, ctx, r, "cat /tmp/uid-seen"))

	// waitFor: ready after postCreate; postStart (slow) runs after.
	ws3, cfg3 := newProject(t, `{"image": "busybox", "waitFor": "postCreateCommand",
		"postCreateCommand": "touch /tmp/postcreate-done",
		"postStartCommand": "sleep 3; touch /tmp/poststart-done",
		"postAttachCommand": "cat /run/devcache/secrets/TOKEN > /tmp/secret-seen"}`, nil)
	secrets := lifecycle.Secrets{{Name: "TOKEN", Scope: lifecycle.ScopeProject, Value: []byte("s3cret"), AsFile: true}}
	r, err = h.creator().Create(ctx, environment.Request{ID: project + "-wait", Project: project, EnvironmentClass: "other", WorkspaceFolder: ws3, ConfigFile: cfg3, NoPrebuild: true, Secrets: secrets})
	require.NoError(t, err)
	require.Equal(t, lifecycle.PostCreate, r.WaitFor)
	require.Equal(t, "yes\nno\n", execOut(t, ctx, r, "test -f /tmp/postcreate-done && echo yes; test -f /tmp/poststart-done && echo yes || echo no"),
		"ready after postCreate, before the slower postStart")
	require.Equal(t, "present\n", execOut(t, ctx, r, "test -f /run/devcache/secrets/TOKEN && echo present || echo gone"), "the secret file is there while commands need it")
	removeOnCleanup(t, r) // waits for the rest
	require.Equal(t, "yes\ns3cret", execOut(t, ctx, r, "test -f /tmp/poststart-done && echo yes; cat /tmp/secret-seen"))
	require.Equal(t, "gone\n", execOut(t, ctx, r, "test -e /run/devcache/secrets/TOKEN && echo present || echo gone"), "secret files are removed when the commands that needed them ended")
	require.NoDirExists(t, filepath.Join(h.state, "environments", project+"-wait", "secrets"))
}
