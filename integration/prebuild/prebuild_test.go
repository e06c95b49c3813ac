package prebuild

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/environment"
	"github.com/devcache/devcache/prebuild/lifecycle"
	"github.com/devcache/devcache/prebuild/phase"
	"github.com/devcache/devcache/prebuild/runner"
)

// setupSeconds is how long the project's onCreateCommand takes.
const setupSeconds = 3

// project: onCreate (object form: two entries in parallel) takes
// setupSeconds and writes in the rootfs and the workspace, and checks the
// org/project secrets are there and the user secret is not; updateContent
// is an array (no shell); an automations task triggered by prebuild; and
// postCreate, which must run only when a user's environment starts.
const devcontainerJSON = `{
	// JSONC, as users write it
	"name": "itest",
	"image": "busybox",
	"initializeCommand": "echo initialized > .initialized",
	"onCreateCommand": {
		"deps": "sleep 3; mkdir -p node_modules && echo dep > node_modules/dep.txt",
		"tool": "mkdir -p /opt/tool && echo built > /opt/tool/tool.txt; echo run >> /opt/oncreate-count; echo ${#ORG_TOKEN} $(wc -c < /run/devcache/secrets/NPMRC) ${USER_KEY:-absent} > /opt/secrets-seen"
	},
	"updateContentCommand": ["/bin/sh", "-c", "test -f .initialized && cp .initialized /opt/initialized-copy"],
	"postCreateCommand": "echo post >> /tmp/postcreate-ran; cat /opt/tool/tool.txt node_modules/dep.txt > /tmp/seen",
}`

const automationsYAML = `tasks:
  warm:
    command: echo warmed > /opt/warm.txt
    triggeredBy: [prebuild]
    dependsOn: [prep]
  prep:
    command: test -f node_modules/dep.txt
`

func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "s3cret-" + hex.EncodeToString(b)
}

// TestPrebuildThenEnvironment: prebuild on host A, environment on host B
// (fresh state, lazy restore): the setup's files are there, onCreate did
// not run again, postCreate did; secrets are in no pushed blob; a wrong
// class gets no prebuild; a newer prebuild from host B supersedes A's and
// both hosts select it.
func TestPrebuildThenEnvironment(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	a := newHost(t, s, filepath.Join(dir, "a"))
	b := newHost(t, s, filepath.Join(dir, "b"))
	project := projectName(t)
	orgToken, npmrc, userKey := randomSecret(), randomSecret(), randomSecret()
	ws, cfg := newProject(t, devcontainerJSON, map[string]string{".ona/automations.yaml": automationsYAML, "README.md": "hi\n"})
	secrets := lifecycle.Secrets{
		{Name: "ORG_TOKEN", Scope: lifecycle.ScopeOrganization, Value: []byte(orgToken)},
		{Name: "NPMRC", Scope: lifecycle.ScopeProject, Value: []byte(npmrc), AsFile: true},
		{Name: "USER_KEY", Scope: lifecycle.ScopeUser, Value: []byte(userKey)},
	}

	start := time.Now()
	res, err := a.runner(t).Run(ctx, runner.Request{
		Project: project, EnvironmentClass: "small", Commit: "c0ffee1", Trigger: prebuild.TriggerManual, User: "alice",
		WorkspaceFolder: ws, ConfigFile: cfg, Secrets: secrets,
	})
	require.NoError(t, err, "record: %+v", res)
	t.Logf("prebuild %s took %s (setup %.1fs, size %d)", res.Prebuild.ID, time.Since(start), res.Prebuild.SetupSeconds, res.Prebuild.Size)
	require.Equal(t, phase.Completed, res.Prebuild.Phase)
	require.GreaterOrEqual(t, res.Prebuild.SetupSeconds, float64(setupSeconds), "the setup time is recorded")
	require.Equal(t, "alice", res.Prebuild.User)
	var phases []phase.Phase
	for _, tr := range res.Record.Transitions {
		phases = append(phases, tr.Phase)
	}
	require.Equal(t, []phase.Phase{phase.Pending, phase.Starting, phase.Running, phase.Stopping, phase.Snapshotting, phase.Completed}, phases)
	var steps []string
	for _, st := range res.Record.Steps {
		steps = append(steps, st.Step)
	}
	require.Equal(t, []string{"initializeCommand", "onCreateCommand", "updateContentCommand", "automation (task prep)", "automation (task warm)"}, steps,
		"postCreateCommand never runs in a prebuild")
	require.Empty(t, a.containers(t, ctx), "the prebuild container is removed")
	require.NoFileExists(t, filepath.Join(ws, ".initialized"), "the checkout is not changed")

	// Secrets: in no blob of the pushed prebuild (layers and config).
	scanBlobs(t, ctx, res.Prebuild.Reference, orgToken, npmrc, userKey)

	// Host B: a fresh containerd and plugin start an environment from it.
	envRes, err := b.creator().Create(ctx, environment.Request{
		ID: project + "-env1", Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg, Secrets: secrets,
	})
	require.NoError(t, err)
	removeOnCleanup(t, envRes)
	t.Logf("environment from prebuild: ready %s, first command %s", envRes.Ready, envRes.FirstCommand)
	require.NotNil(t, envRes.Prebuild, envRes.Reason)
	require.Equal(t, res.Prebuild.ID, envRes.Prebuild.ID)
	require.Equal(t, []string{"postCreateCommand"}, envRes.Steps, "onCreate and updateContent do not run again")
	out := execOut(t, ctx, envRes, "cat /opt/oncreate-count /opt/tool/tool.txt /opt/warm.txt /opt/secrets-seen /opt/initialized-copy node_modules/dep.txt README.md /tmp/postcreate-ran /tmp/seen")
	require.Equal(t, "run\nbuilt\nwarmed\n39 39 absent\ninitialized\ndep\nhi\npost\nbuilt\ndep\n", out,
		"rootfs and workspace files from the prebuild; onCreate ran once (with the org secret as env, the project secret as a file, no user secret); postCreate ran")
	require.Less(t, envRes.Ready, time.Duration(setupSeconds)*time.Second+20*time.Second)
	require.Contains(t, b.plugin.Log(), "remote-snapshot-prepared=true", "restored through the snapshotter's remote-snapshot path")

	// Wrong environment class: no prebuild, a normal start (onCreate runs).
	envRes, err = b.creator().Create(ctx, environment.Request{
		ID: project + "-env2", Project: project, EnvironmentClass: "large", WorkspaceFolder: ws, ConfigFile: cfg, Secrets: secrets,
	})
	require.NoError(t, err)
	removeOnCleanup(t, envRes)
	require.Nil(t, envRes.Prebuild)
	require.Contains(t, envRes.Reason, `no successful prebuild of environment class "large"`)
	require.Equal(t, []string{"initializeCommand", "onCreateCommand", "updateContentCommand", "postCreateCommand"}, envRes.Steps)
	require.Equal(t, "run\n", execOut(t, ctx, envRes, "cat /opt/oncreate-count"))

	// Host B runs a newer prebuild: both hosts now select it.
	res2, err := b.runner(t).Run(ctx, runner.Request{
		Project: project, EnvironmentClass: "small", Commit: "c0ffee2", Trigger: prebuild.TriggerSchedule, User: "creator",
		WorkspaceFolder: ws, ConfigFile: cfg, Secrets: secrets,
	})
	require.NoError(t, err)
	for _, h := range []*host{a, b} {
		list, err := h.catalog().List(ctx, project)
		require.NoError(t, err)
		got, ok := prebuild.Select(list, "small", time.Now())
		require.True(t, ok)
		require.Equal(t, res2.Prebuild.ID, got.ID, "both runner hosts see the same latest prebuild")
		require.Equal(t, "c0ffee2", got.Commit)
		st := prebuild.Statuses(list, time.Now())
		require.Equal(t, prebuild.StatusSuperseded, st[res.Prebuild.ID])
	}
}

// execOut runs a shell command in the environment's workspace.
func execOut(t *testing.T, ctx context.Context, r *environment.Result, cmd string) string {
	t.Helper()
	var out bytes.Buffer
	code, err := r.Container.Exec(ctx, lifecycle.Process{Args: []string{"/bin/sh", "-c", cmd}, Dir: "/workspaces/repo", Output: &out})
	require.NoError(t, err)
	require.Equal(t, 0, code, "%s:\n%s", cmd, out.String())
	return out.String()
}

// scanBlobs reads every layer (uncompressed) and the config of ref and
// fails if any secret appears.
func scanBlobs(t *testing.T, ctx context.Context, ref string, secrets ...string) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	require.NoError(t, err)
	img, err := remote.Image(r, remote.WithContext(ctx))
	require.NoError(t, err)
	cfg, err := img.RawConfigFile()
	require.NoError(t, err)
	layers, err := img.Layers()
	require.NoError(t, err)
	blobs := [][]byte{cfg}
	m, err := img.RawManifest()
	require.NoError(t, err)
	blobs = append(blobs, m)
	for _, l := range layers {
		rc, err := l.Uncompressed()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		blobs = append(blobs, b)
	}
	require.Greater(t, len(layers), 2)
	for _, b := range blobs {
		for _, s := range secrets {
			require.False(t, bytes.Contains(b, []byte(s)), "a secret is in a pushed blob of %s", ref)
		}
	}
}

// removeOnCleanup waits for the environment's lifecycle commands after
// waitFor (so Steps and their files are complete), then removes its
// container before the host's containerd stops (cleanups run
// last-registered first), so no shim is left.
func removeOnCleanup(t *testing.T, r *environment.Result) {
	t.Cleanup(func() { require.NoError(t, r.Container.Remove(context.Background())) })
	require.NoError(t, r.Wait(), "the lifecycle commands after waitFor")
}
