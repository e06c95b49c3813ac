package prebuild

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/phase"
)

// TestCLI drives the devcache binary as a runner host would: prebuild run,
// prebuild list, env create (which logs the prebuild it used), and the
// refusal of an out-of-range execution timeout.
func TestCLI(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "devcache")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/devcache/devcache/cmd/devcache")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	h := newHost(t, s, filepath.Join(dir, "h"))
	project := projectName(t)
	ws, _ := newProject(t, `{"image": "busybox", "onCreateCommand": "sleep 1; mkdir -p /opt && echo prebuilt > /opt/marker", "postCreateCommand": "cat /opt/marker"}`, nil)
	common := []string{"--image", s.BusyboxImage(), "--registry", s.Registry, "--insecure-registry", s.Registry,
		"--containerd-address", filepath.Join(h.dir, "c.sock"), "--namespace", namespace, "--state-dir", h.state,
		"--project", project}
	run := func(args ...string) (string, string, error) {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(s.Env(), "DEVCACHE_PROXY=")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}

	_, stderr, err := run(append([]string{"prebuild", "run", "--workspace-folder", ws, "--environment-class", "small", "--execution-timeout", "3h"}, common...)...)
	require.Error(t, err)
	require.Contains(t, stderr, "execution timeout 3h0m0s is outside 5m0s..2h0m0s")

	stdout, stderr, err := run(append([]string{"prebuild", "run", "--workspace-folder", ws, "--environment-class", "small", "--commit", "deadbeef", "--user", "carol"}, common...)...)
	require.NoError(t, err, "%s", stderr)
	require.Contains(t, stdout, " Completed ")

	stdout, stderr, err = run(append([]string{"prebuild", "list", "--output", "json"}, common...)...)
	require.NoError(t, err, "%s", stderr)
	var listed struct {
		Prebuilds []prebuild.Prebuild        `json:"prebuilds"`
		Status    map[string]prebuild.Status `json:"status"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &listed), stdout)
	require.Len(t, listed.Prebuilds, 1)
	p := listed.Prebuilds[0]
	require.Equal(t, phase.Completed, p.Phase)
	require.Equal(t, "deadbeef", p.Commit)
	require.Equal(t, "carol", p.User)
	require.Positive(t, p.Size)
	require.Equal(t, prebuild.StatusActive, listed.Status[p.ID])
	stdout, _, err = run(append([]string{"prebuild", "list"}, common...)...)
	require.NoError(t, err)
	require.Contains(t, stdout, "COMMIT")
	require.Contains(t, stdout, "deadbeef")

	id := project + "-cli"
	stdout, stderr, err = run(append([]string{"env", "create", "--id", id, "--workspace-folder", ws, "--environment-class", "small"}, common...)...)
	require.NoError(t, err, "%s", stderr)
	t.Cleanup(func() {
		c, err := h.client.LoadContainer(context.Background(), id)
		if err == nil {
			if task, err := c.Task(context.Background(), nil); err == nil {
				_, _ = task.Delete(context.Background(), containerdKill)
			}
			_ = c.Delete(context.Background(), containerdSnapshotCleanup)
		}
	})
	require.Contains(t, stdout, "started from prebuild "+p.ID)
	require.Contains(t, stderr, "using prebuild "+p.ID+" (setup would have taken ~")
	require.Contains(t, stderr, "step=postCreateCommand")
	require.NotContains(t, stderr, "step=onCreateCommand")

	// The daily schedule: due (no scheduled prebuild yet), runs as the
	// creator; right after, not due.
	stdout, stderr, err = run(append([]string{"prebuild", "schedule", "--workspace-folder", ws, "--environment-class", "small", "--creator", "dave"}, common...)...)
	require.NoError(t, err, "%s", stderr)
	require.Contains(t, stdout, " Completed ")
	_, stderr, err = run(append([]string{"prebuild", "schedule", "--workspace-folder", ws, "--environment-class", "small", "--creator", "dave"}, common...)...)
	require.NoError(t, err, "%s", stderr)
	require.Contains(t, stderr, "scheduled prebuild not due")
	stdout, _, err = run(append([]string{"prebuild", "list", "--output", "json"}, common...)...)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(stdout), &listed))
	require.Len(t, listed.Prebuilds, 2)
	require.Equal(t, prebuild.TriggerSchedule, listed.Prebuilds[0].Trigger)
	require.Equal(t, "dave", listed.Prebuilds[0].User, "scheduled prebuilds run as the project's creator")
	require.Equal(t, prebuild.StatusSuperseded, listed.Status[p.ID])

	// A failed prebuild's logs, from the registry.
	bad, _ := newProject(t, `{"image": "busybox", "onCreateCommand": "echo compiling; echo 'error: missing toolchain' >&2; exit 2"}`, nil)
	stdout, _, err = run(append([]string{"prebuild", "run", "--workspace-folder", bad, "--environment-class", "small"}, common...)...)
	require.Error(t, err)
	failedID := strings.Fields(stdout)[0]
	require.Contains(t, stdout, "reason: onCreateCommand exited with 2")
	stdout, stderr, err = run(append([]string{"prebuild", "logs", failedID}, common...)...)
	require.NoError(t, err, "%s", stderr)
	require.Contains(t, stdout, "==> prebuild/logs/00-onCreateCommand.log <==")
	require.Contains(t, stdout, "error: missing toolchain")
	_, stderr, err = run(append([]string{"prebuild", "logs", p.ID}, common...)...)
	require.Error(t, err)
	require.Contains(t, stderr, "only failed prebuilds keep their logs")
}
