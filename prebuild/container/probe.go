package container

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/prebuild/lifecycle"
)

// probeMark brackets the environment in the probe's output, so what a
// profile prints (a motd, a prompt) is not taken for variables.
const probeMark = "\x00DEVCACHE-ENV\x00"

// probeDropped are the shell's own variables, not the user's environment.
var probeDropped = map[string]bool{"PWD": true, "OLDPWD": true, "SHLVL": true, "_": true, "PS1": true}

// ProbeEnv reads the environment user's shell sets up (userEnvProbe:
// loginShell -l, interactiveShell -i, loginInteractiveShell -li; none gives
// nil), as the reference CLI does: the user's login shell from the
// container's passwd (else /bin/sh) prints its environment.
func (c *Container) ProbeEnv(ctx context.Context, user, mode string) ([]string, error) {
	var flags string
	switch mode {
	case lifecycle.ProbeNone:
		return nil, nil
	case lifecycle.ProbeLoginShell:
		flags = "-lc"
	case lifecycle.ProbeInteractiveShell:
		flags = "-ic"
	case lifecycle.ProbeLoginInteractiveShell, "":
		flags = "-lic"
	default:
		return nil, fmt.Errorf("userEnvProbe %q: %w", mode, errdefs.ErrInvalidArgument)
	}
	var sh bytes.Buffer
	code, err := c.Exec(ctx, lifecycle.Process{
		Args:   []string{"/bin/sh", "-c", `u=$(id -un); s=$(awk -F: -v u="$u" '$1 == u {print $7}' /etc/passwd 2>/dev/null); [ -x "$s" ] || s=/bin/sh; echo "$s"`},
		User:   user,
		Output: &sh,
	})
	if err != nil {
		return nil, err
	}
	shell := strings.TrimSpace(sh.String())
	if code != 0 || shell == "" || strings.HasSuffix(shell, "/nologin") || strings.HasSuffix(shell, "/false") {
		shell = "/bin/sh"
	}
	var out bytes.Buffer
	script := `printf '\000DEVCACHE-ENV\000'; cat /proc/self/environ; printf '\000DEVCACHE-ENV\000'`
	if code, err = c.Exec(ctx, lifecycle.Process{Args: []string{shell, flags, script}, User: user, Output: &out}); err != nil {
		return nil, err
	}
	parts := strings.Split(out.String(), probeMark)
	if code != 0 || len(parts) < 3 {
		return nil, fmt.Errorf("probing the user's environment with %s %s exited with %d: %s", shell, flags, code, strings.TrimSpace(out.String()))
	}
	var env []string
	for _, kv := range strings.Split(parts[1], "\x00") {
		k, _, ok := strings.Cut(kv, "=")
		if ok && k != "" && !probeDropped[k] {
			env = append(env, kv)
		}
	}
	return env, nil
}
