package lifecycle

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/devcontainer"
)

func TestParseForms(t *testing.T) {
	c, err := Parse(json.RawMessage(`"echo hi && true"`))
	require.NoError(t, err)
	require.Equal(t, []string{"/bin/sh", "-c", "echo hi && true"}, c.Argv())

	c, err = Parse(json.RawMessage(`["echo", "$HOME"]`))
	require.NoError(t, err)
	require.Equal(t, []string{"echo", "$HOME"}, c.Argv())

	c, err = Parse(json.RawMessage(`{"b": ["make", "deps"], "a": "npm ci", "empty": ""}`))
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, c.Names(), "empty entries are dropped, names sorted")
	require.Equal(t, []string{"make", "deps"}, c.Parallel["b"].Argv())

	c, err = Parse(json.RawMessage(`null`))
	require.NoError(t, err)
	require.True(t, c.Empty())

	for _, bad := range []string{`42`, `{"a": {"b": "c"}}`, `["a", 1]`, `true`} {
		_, err := Parse(json.RawMessage(bad))
		require.True(t, errdefs.IsInvalidArgument(err), "%s: %v", bad, err)
	}
}

func TestStringUsesShellArrayDoesNot(t *testing.T) {
	ctx := context.Background()
	r := &Runner{Container: Host{BaseEnv: []string{"PATH=" + os.Getenv("PATH"), "HOME=/home/x"}}, ContainerDir: t.TempDir()}
	res, err := r.Run(ctx, Step{Hook: OnCreate, Command: Command{Shell: "echo $((1+2)) $HOME"}})
	require.NoError(t, err)
	require.Equal(t, "3 /home/x\n", res.Output)
	res, err = r.Run(ctx, Step{Hook: OnCreate, Command: Command{Args: []string{"echo", "$HOME", "a b"}}})
	require.NoError(t, err)
	require.Equal(t, "$HOME a b\n", res.Output, "the array form runs without a shell")
}

func TestObjectEntriesRunInParallel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir := t.TempDir()
	// Each entry waits for the other's file: only a parallel run finishes.
	c, err := Parse(json.RawMessage(`{
		"a": "touch a; while [ ! -f b ]; do sleep 0.01; done; echo a done",
		"b": ["/bin/sh", "-c", "touch b; while [ ! -f a ]; do sleep 0.01; done; echo b done"]
	}`))
	require.NoError(t, err)
	r := &Runner{Container: Host{BaseEnv: []string{"PATH=" + os.Getenv("PATH")}}, ContainerDir: dir}
	res, err := r.Run(ctx, Step{Hook: UpdateContent, Command: c})
	require.NoError(t, err)
	require.Contains(t, res.Output, "[a] a done\n")
	require.Contains(t, res.Output, "[b] b done\n")
}

func TestObjectEntryFailureFailsTheCommand(t *testing.T) {
	c, err := Parse(json.RawMessage(`{"ok": "echo fine", "bad": "echo broken >&2; exit 7"}`))
	require.NoError(t, err)
	r := &Runner{Container: Host{BaseEnv: []string{"PATH=" + os.Getenv("PATH")}}}
	res, err := r.Run(context.Background(), Step{Hook: OnCreate, Command: c})
	require.Error(t, err)
	require.Contains(t, err.Error(), `entry "bad" exited with 7`)
	require.Equal(t, 7, res.ExitCode)
	require.Contains(t, res.Output, "[bad] broken")
	require.Contains(t, res.Output, "[ok] fine", "the other entries still ran")
}

// recorder is a container executor that records what it was asked to run.
type recorder struct {
	mu    sync.Mutex
	procs []Process
}

func (r *recorder) Exec(_ context.Context, p Process) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.procs = append(r.procs, p)
	return 0, nil
}

func TestInitializeRunsOnHostOthersInContainer(t *testing.T) {
	ctx := context.Background()
	hostDir := t.TempDir()
	ctr := &recorder{}
	r := &Runner{
		Host: Host{BaseEnv: []string{"PATH=" + os.Getenv("PATH")}}, HostDir: hostDir,
		Container: ctr, ContainerDir: "/workspaces/repo",
		Env: []string{"TOKEN=s3cret"},
	}
	res, err := r.Run(ctx, Step{Hook: Initialize, Command: Command{Shell: "pwd; echo $TOKEN > from-host"}})
	require.NoError(t, err)
	require.Equal(t, hostDir+"\n", strings.SplitAfter(res.Output, "\n")[0])
	b, err := os.ReadFile(filepath.Join(hostDir, "from-host"))
	require.NoError(t, err)
	require.Equal(t, "s3cret\n", string(b))
	require.Empty(t, ctr.procs, "initializeCommand never runs in the container")

	_, err = r.Run(ctx, Step{Hook: OnCreate, Command: Command{Shell: "make"}})
	require.NoError(t, err)
	require.Len(t, ctr.procs, 1)
	require.Equal(t, "/workspaces/repo", ctr.procs[0].Dir)
	require.Equal(t, []string{"TOKEN=s3cret"}, ctr.procs[0].Env)
}

func TestRunAllStopsAtFirstFailure(t *testing.T) {
	r := &Runner{Container: Host{BaseEnv: []string{"PATH=" + os.Getenv("PATH")}}}
	var ran []string
	err := r.RunAll(context.Background(), []Step{
		{Hook: OnCreate, Command: Command{Shell: "exit 1"}},
		{Hook: UpdateContent, Command: Command{Shell: "true"}},
	}, func(res Result) { ran = append(ran, res.Step.Name()) })
	require.ErrorContains(t, err, "onCreateCommand exited with 1")
	require.Equal(t, []string{"onCreateCommand"}, ran)
}

func TestCollectFeaturesFirstConfigLast(t *testing.T) {
	cfg, err := devcontainer.Parse("devcontainer.json", []byte(`{
		// JSONC
		"image": "debian",
		"initializeCommand": "git fetch",
		"onCreateCommand": "make setup",
		"postCreateCommand": ["echo", "ready"],
	}`))
	require.NoError(t, err)
	label := `[{"postCreateCommand":"base says hi"},{"id":"ghcr.io/x/node:1","onCreateCommand":"npm i -g pnpm"},{"onCreateCommand":"make setup","postCreateCommand":["echo","ready"]}]`
	hs, err := Collect(label, cfg)
	require.NoError(t, err)
	var names []string
	for _, s := range hs.Steps(OnCreate) {
		names = append(names, s.Name()+"="+s.Command.String())
	}
	require.Equal(t, []string{"onCreateCommand (ghcr.io/x/node:1)=npm i -g pnpm", "onCreateCommand=make setup"}, names,
		"the devcontainer.json's own label entry is not run twice")
	require.Len(t, hs.Steps(PostCreate), 2, "base image entry, then devcontainer.json")
	require.Len(t, hs.Steps(Initialize), 1)
	require.Empty(t, hs.Steps(PostAttach))

	_, err = Collect(`{"id":"f","onCreateCommand":42}`, nil)
	require.True(t, errdefs.IsInvalidArgument(err))
}

func TestSecretsForPrebuild(t *testing.T) {
	all := Secrets{
		{Name: "ORG_TOKEN", Scope: ScopeOrganization, Value: []byte("o")},
		{Name: "NPMRC", Scope: ScopeProject, Value: []byte("p"), AsFile: true},
		{Name: "MY_KEY", Scope: ScopeUser, Value: []byte("u")},
	}
	s := all.ForPrebuild()
	require.Len(t, s, 2, "user secrets never reach a prebuild")
	require.Equal(t, []string{"ORG_TOKEN=o"}, s.Env())
	dir := filepath.Join(t.TempDir(), "secrets")
	require.NoError(t, s.WriteFiles(dir))
	b, err := os.ReadFile(filepath.Join(dir, "NPMRC"))
	require.NoError(t, err)
	require.Equal(t, "p", string(b))
	fi, err := os.Stat(filepath.Join(dir, "NPMRC"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.True(t, errdefs.IsInvalidArgument(Secrets{{Name: "../x"}}.Validate()))
}

func TestRemoteUser(t *testing.T) {
	cfg, err := devcontainer.Parse("devcontainer.json", []byte(`{"image": "x", "containerUser": "app"}`))
	require.NoError(t, err)
	u, err := RemoteUser(`[{"remoteUser": "vscode"}, {"id": "f", "remoteUser": "node"}]`, cfg)
	require.NoError(t, err)
	require.Equal(t, "node", u, "last remoteUser wins over containerUser")
	u, err = RemoteUser("", cfg)
	require.NoError(t, err)
	require.Equal(t, "app", u, "containerUser when no remoteUser")
	cfg, err = devcontainer.Parse("devcontainer.json", []byte(`{"image": "x", "remoteUser": "dev"}`))
	require.NoError(t, err)
	u, err = RemoteUser(`[{"remoteUser": "vscode"}]`, cfg)
	require.NoError(t, err)
	require.Equal(t, "dev", u, "the devcontainer.json is the last entry")
	u, err = RemoteUser("", nil)
	require.NoError(t, err)
	require.Empty(t, u)
}
