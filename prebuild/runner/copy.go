//go:build linux

package runner

import (
	"context"
	"os"
	"os/exec"
)

// copyTree copies src into dst (created), keeping modes, owners, links and
// times, as cp -a does.
func copyTree(ctx context.Context, src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil { //nolint:gosec // a workspace copy keeps the usual folder mode
		return err
	}
	out, err := exec.CommandContext(ctx, "cp", "-a", "--", src+"/.", dst+"/").CombinedOutput()
	if err != nil {
		return &copyError{err: err, out: string(out)}
	}
	return nil
}

type copyError struct {
	err error
	out string
}

func (e *copyError) Error() string { return "cp -a: " + e.err.Error() + ": " + e.out }
func (e *copyError) Unwrap() error { return e.err }
