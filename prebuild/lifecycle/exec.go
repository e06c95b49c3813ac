package lifecycle

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Process is one command to start.
type Process struct {
	Args []string
	// Env is added to the executor's base environment (NAME=value).
	Env []string
	// Dir is the working directory ("" for the executor's default).
	Dir string
	// User runs the process as this user (name or uid[:gid]; "" for the
	// executor's default). Only container executors support it.
	User string
	// Output receives stdout and stderr.
	Output io.Writer
}

// Executor starts processes somewhere: on the host, or in a container.
type Executor interface {
	// Exec runs p to completion. A process that ran and exited non-zero
	// returns its exit code and a nil error; err is for processes that could
	// not be run (or were stopped by ctx).
	Exec(ctx context.Context, p Process) (exitCode int, err error)
}

// Host runs processes on the host with the runner's environment.
type Host struct {
	// BaseEnv is the environment every process starts with (nil: none
	// beyond PATH from the runner).
	BaseEnv []string
}

var _ Executor = Host{}

// Exec implements Executor.
func (h Host) Exec(ctx context.Context, p Process) (int, error) {
	cmd := exec.CommandContext(ctx, p.Args[0], p.Args[1:]...)
	cmd.Env = append(append([]string{}, h.BaseEnv...), p.Env...)
	cmd.Dir = p.Dir
	cmd.Stdout, cmd.Stderr = p.Output, p.Output
	// The command's children go with it when ctx ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

// MergeEnv returns base with add's NAME=value pairs applied: a name that
// is already set is replaced in place (a process sees each name once; the
// later value wins), new names are appended in order.
func MergeEnv(base, add []string) []string {
	out := append([]string{}, base...)
	at := map[string]int{}
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		at[k] = i
	}
	for _, kv := range add {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := at[k]; ok {
			out[i] = kv
			continue
		}
		at[k] = len(out)
		out = append(out, kv)
	}
	return out
}
