package automations

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/prebuild/lifecycle"
)

const sample = `
services:
  db:
    name: Database
    triggeredBy: [prebuild, postDevcontainerStart]
    commands:
      start: "echo started >> log; touch db.up; while [ -f db.up ]; do sleep 0.02; done; echo exited >> log"
      ready: "test -f db.up"
      stop: "echo stop >> log; rm db.up"
  web:
    triggeredBy: [manual]
    commands:
      start: "sleep 100"
tasks:
  deps:
    name: Install dependencies
    command: "test -f db.up && echo deps >> log"
  migrate:
    command: "test -f db.up && echo migrate >> log"
    dependsOn: [deps]
    triggeredBy: [prebuild]
  build:
    command: "echo build >> log"
    dependsOn: [deps]
    triggeredBy: [prebuild, manual]
  cleanup:
    command: "test ! -f db.up && echo cleanup >> log"
    triggeredBy: [beforeSnapshot]
  serve:
    command: "echo never >> log"
    triggeredBy: [postEnvironmentStart]
`

func TestPrebuildPlan(t *testing.T) {
	f, err := Parse([]byte(sample))
	require.NoError(t, err)
	p, err := f.PrebuildPlan()
	require.NoError(t, err)
	require.Equal(t, []string{"db"}, p.Services)
	require.Equal(t, []string{"deps", "build", "migrate"}, p.Tasks, "dependencies first, pulled in even when not triggered")
	require.Equal(t, []string{"cleanup"}, p.BeforeSnapshot)
}

func TestParseRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"cycle":           "tasks:\n  a: {command: x, dependsOn: [b]}\n  b: {command: y, dependsOn: [a]}\n",
		"unknown dep":     "tasks:\n  a: {command: x, dependsOn: [nope]}\n",
		"no command":      "tasks:\n  a: {triggeredBy: [prebuild]}\n",
		"unknown trigger": "tasks:\n  a: {command: x, triggeredBy: [sometimes]}\n",
		"service start":   "services:\n  s: {commands: {ready: x}}\n",
		"not yaml":        "tasks: [",
	} {
		_, err := Parse([]byte(doc))
		require.True(t, errdefs.IsInvalidArgument(err), "%s: %v", name, err)
	}
	f, err := Load(filepath.Join(t.TempDir(), "missing.yaml"))
	require.NoError(t, err)
	p, err := f.PrebuildPlan()
	require.NoError(t, err)
	require.True(t, p.Empty())
}

func TestRunServicesAroundTasks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	f, err := Parse([]byte(sample))
	require.NoError(t, err)
	p, err := f.PrebuildPlan()
	require.NoError(t, err)
	var steps []string
	r := &Runner{
		Lifecycle:     &lifecycle.Runner{Container: lifecycle.Host{BaseEnv: []string{"PATH=" + os.Getenv("PATH")}}, ContainerDir: dir},
		ReadyInterval: 20 * time.Millisecond,
		Done:          func(res lifecycle.Result) { steps = append(steps, res.Step.Name()) },
	}
	require.NoError(t, r.Run(ctx, f, p))
	b, err := os.ReadFile(filepath.Join(dir, "log"))
	require.NoError(t, err)
	require.Equal(t, "started\ndeps\nbuild\nmigrate\nstop\nexited\ncleanup\n", string(b),
		"service up and ready before the tasks, stopped before beforeSnapshot")
	require.Contains(t, steps, "automation (service db ready)")
	require.Contains(t, steps, "automation (task migrate)")
}

func TestRunFailingTaskStopsServices(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	f, err := Parse([]byte(strings.Replace(sample, `command: "echo build >> log"`, `command: "echo oops; exit 4"`, 1)))
	require.NoError(t, err)
	p, err := f.PrebuildPlan()
	require.NoError(t, err)
	r := &Runner{
		Lifecycle:     &lifecycle.Runner{Container: lifecycle.Host{BaseEnv: []string{"PATH=" + os.Getenv("PATH")}}, ContainerDir: dir},
		ReadyInterval: 20 * time.Millisecond,
	}
	err = r.Run(ctx, f, p)
	require.ErrorContains(t, err, "automation (task build) exited with 4")
	b, _ := os.ReadFile(filepath.Join(dir, "log"))
	require.Equal(t, "started\ndeps\nstop\nexited\n", string(b), "the service is stopped, nothing after the failure runs")
}

func TestServiceThatNeverGetsReady(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := Parse([]byte("services:\n  s:\n    triggeredBy: [prebuild]\n    commands: {start: 'sleep 30', ready: 'false'}\n"))
	require.NoError(t, err)
	p, err := f.PrebuildPlan()
	require.NoError(t, err)
	r := &Runner{
		Lifecycle:    &lifecycle.Runner{Container: lifecycle.Host{BaseEnv: []string{"PATH=" + os.Getenv("PATH")}}, ContainerDir: t.TempDir()},
		ReadyTimeout: 200 * time.Millisecond, ReadyInterval: 20 * time.Millisecond,
	}
	start := time.Now()
	require.ErrorContains(t, r.Run(ctx, f, p), "service s not ready after 200ms")
	require.Less(t, time.Since(start), 10*time.Second, "the start process was killed, not waited for")
}
