// Package exitcode is the one table of the exit statuses devcache's
// commands end with, so a runner can tell a configuration to fix from a
// registry to retry and a build that failed. docs/devcache-build.md lists
// them; errors carry their code with With, and Of reads it back.
package exitcode

import (
	"errors"

	"github.com/containerd/errdefs"
)

// Code is a process exit status.
type Code int

// The exit statuses. They are part of devcache's interface: never renumber.
const (
	// OK: the command did what it was asked.
	OK Code = 0
	// Failure: anything not listed below (buildkitd or containerd
	// unreachable, an interrupted run, an internal error).
	Failure Code = 1
	// Usage: an invalid flag or argument.
	Usage Code = 2
	// Config: the Dev Container configuration cannot be built as it is: a
	// syntax or type error, a missing Dockerfile or local Feature, a Feature
	// or image that does not exist, a limit exceeded. Fix the configuration.
	Config Code = 3
	// Registry: a registry (devcache-proxy, the cache, a Feature's or the
	// image's registry) failed or refused; retrying may help.
	Registry Code = 4
	// Build: the build ran and failed (a Feature's install script, a
	// Dockerfile step).
	Build Code = 5
	// Unsupported: a configuration devcache does not build (Docker Compose).
	Unsupported Code = 6
)

// String names the code as the JSON result and the docs do.
func (c Code) String() string {
	switch c {
	case OK:
		return "ok"
	case Usage:
		return "usage"
	case Config:
		return "config"
	case Registry:
		return "registry"
	case Build:
		return "build"
	case Unsupported:
		return "unsupported"
	}
	return "failure"
}

// Error attaches an exit code to an error.
type Error struct {
	Code Code
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the error.
func (e *Error) Unwrap() error { return e.Err }

// ExitCode implements the interface internal/cli reads.
func (e *Error) ExitCode() int { return int(e.Code) }

// With returns err carrying code; nil stays nil. An error that already
// carries a code keeps the innermost one.
func With(code Code, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: code, Err: err}
}

// Of returns the exit code of err: OK for nil, the code it carries (With,
// or any error with an ExitCode() int method), Unsupported for an
// errdefs.ErrNotImplemented, Failure otherwise.
func Of(err error) Code {
	if err == nil {
		return OK
	}
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return Code(ec.ExitCode())
	}
	if errdefs.IsNotImplemented(err) {
		return Unsupported
	}
	return Failure
}
