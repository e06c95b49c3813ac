package prebuild

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/inflight"
	"github.com/devcache/devcache/prebuild/phase"
	"github.com/devcache/devcache/prebuild/runner"
)

// TestFailedStepAndTimeout: a failing onCreateCommand fails the prebuild
// with its logs, recorded in the registry and never selected; a step that
// outlives the execution timeout fails it too; both clean up their
// container and leave nothing in flight.
func TestFailedStepAndTimeout(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	h := newHost(t, s, filepath.Join(t.TempDir(), "a"))
	project := projectName(t)

	ws, cfg := newProject(t, `{"image": "busybox", "onCreateCommand": "echo installing; echo 'npm ERR! network' >&2; exit 3", "postCreateCommand": "true"}`, nil)
	res, err := h.runner(t).Run(ctx, runner.Request{Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg, Trigger: prebuild.TriggerManual, User: "bob"})
	require.ErrorContains(t, err, "onCreateCommand exited with 3")
	require.Equal(t, phase.Failed, res.Prebuild.Phase)
	require.Equal(t, "onCreateCommand exited with 3", res.Prebuild.Reason)
	last := res.Record.Steps[len(res.Record.Steps)-1]
	require.Equal(t, "onCreateCommand", last.Step)
	require.Contains(t, last.Output, "installing\n")
	require.Contains(t, last.Output, "npm ERR! network\n", "stdout and stderr (their relative order is not kept)")
	require.Equal(t, []phase.Phase{phase.Pending, phase.Starting, phase.Running, phase.Failed}, phasesOf(res.Record))
	require.Empty(t, h.containers(t, ctx), "the failed prebuild's container is removed")

	// The registry has it, with the logs, and never selects it.
	list, err := h.catalog().List(ctx, project)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, phase.Failed, list[0].Phase)
	require.Equal(t, "bob", list[0].User)
	_, ok := prebuild.Select(list, "small", time.Now())
	require.False(t, ok, "a failed prebuild is never selected")
	logs, err := h.catalog().ReadLogs(ctx, list[0])
	require.NoError(t, err)
	require.Contains(t, logs["prebuild/logs/00-onCreateCommand.log"], "npm ERR! network")

	// A step that runs past the execution timeout.
	ws, cfg = newProject(t, `{"image": "busybox", "onCreateCommand": "echo started; sleep 120"}`, nil)
	start := time.Now()
	res, err = h.runner(t).Run(ctx, runner.Request{Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg,
		Timeouts: runner.Timeouts{Execution: 3 * time.Second}})
	require.ErrorContains(t, err, "execution timed out after 3s")
	require.Less(t, time.Since(start), 60*time.Second, "the timeout stops the step")
	require.Equal(t, phase.Failed, res.Prebuild.Phase)
	require.Contains(t, res.Record.Steps[len(res.Record.Steps)-1].Output, "started")
	require.Empty(t, h.containers(t, ctx), "the timed-out prebuild's container is removed")
	st, err := inflight.Open(h.state)
	require.NoError(t, err)
	inFlight, err := st.List(ctx)
	require.NoError(t, err)
	require.Empty(t, inFlight, "finished prebuilds leave the in-flight store")
}

func phasesOf(r phase.Record) []phase.Phase {
	var out []phase.Phase
	for _, tr := range r.Transitions {
		out = append(out, tr.Phase)
	}
	return out
}

// TestSnapshotAndOverallTimeouts: the snapshotting timeout (stop, capture,
// push) and the overall timeout each fail a prebuild, with their reason,
// and clean up.
func TestSnapshotAndOverallTimeouts(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	h := newHost(t, s, filepath.Join(t.TempDir(), "a"))
	project := projectName(t)

	// Snapshotting: the setup is fine; stopping and capturing cannot fit in 1 ms.
	ws, cfg := newProject(t, `{"image": "busybox", "onCreateCommand": "mkdir -p /opt && dd if=/dev/zero of=/opt/blob bs=1M count=8"}`, nil)
	res, err := h.runner(t).Run(ctx, runner.Request{Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg,
		Timeouts: runner.Timeouts{Snapshot: time.Millisecond}})
	require.ErrorContains(t, err, "snapshotting timed out after 1ms")
	require.Equal(t, phase.Failed, res.Prebuild.Phase)
	require.Contains(t, res.Prebuild.Reason, "snapshotting timed out")
	require.Contains(t, phasesOf(res.Record), phase.Stopping, "it fired after the commands, while stopping or capturing")
	require.Empty(t, h.containers(t, ctx))

	// Overall: a setup within the execution timeout but past the overall one.
	ws, cfg = newProject(t, `{"image": "busybox", "onCreateCommand": "echo started; sleep 120"}`, nil)
	start := time.Now()
	res, err = h.runner(t).Run(ctx, runner.Request{Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfg,
		Timeouts: runner.Timeouts{Execution: 10 * time.Minute, Overall: 3 * time.Second}})
	require.ErrorContains(t, err, "prebuild timed out after 3s")
	require.Less(t, time.Since(start), 60*time.Second)
	require.Equal(t, phase.Failed, res.Prebuild.Phase)
	require.Empty(t, h.containers(t, ctx))
	list, err := h.catalog().List(ctx, project)
	require.NoError(t, err)
	require.Len(t, list, 2, "both recorded as failed")
}
