package imagecache

import (
	"errors"
	"net"

	cerrdefs "github.com/containerd/errdefs"
	solvererrdefs "github.com/moby/buildkit/solver/errdefs"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/internal/exitcode"
)

// The phases of a Get, as Result.Phases and a failure's Phase name them.
const (
	PhaseConfig      = "config"
	PhaseCredentials = "credentials"
	PhaseKey         = "key"
	PhaseLookup      = "lookup"
	PhaseBuild       = "build"
	PhasePull        = "pull"
	PhaseImport      = "import"
	// PhasePush and PhaseExport are spans only (within build): the time
	// after the solve, pushing to the cache or exporting for the runtime.
	PhasePush   = "push"
	PhaseExport = "export"
)

// PhaseError is why a Get failed and the phase it failed in. Its exit code
// (internal/exitcode) follows from both.
type PhaseError struct {
	Phase string
	Err   error
}

func (e *PhaseError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *PhaseError) Unwrap() error { return e.Err }

// ExitCode is the phase's exit status: the configuration (Config, or
// Unsupported for Compose), a registry (credentials, lookup, pull, or a
// Feature or image that cannot be fetched), the build.
func (e *PhaseError) ExitCode() int {
	var inner interface{ ExitCode() int }
	if errors.As(e.Err, &inner) {
		return inner.ExitCode()
	}
	if cerrdefs.IsNotImplemented(e.Err) {
		return int(exitcode.Unsupported)
	}
	switch e.Phase {
	case PhaseConfig:
		return int(exitcode.Config)
	case PhaseKey:
		if isRegistryFailure(e.Err) {
			return int(exitcode.Registry)
		}
		return int(exitcode.Config)
	case PhaseCredentials, PhaseLookup, PhasePull:
		return int(exitcode.Registry)
	case PhaseBuild:
		return int(exitcode.Build)
	}
	return int(exitcode.Failure)
}

// isRegistryFailure tells a registry that failed (retry) from a reference
// that does not exist (fix the configuration).
// A registry that cannot be reached at all (refused, reset, no route)
// is one that failed too.
func isRegistryFailure(err error) bool {
	var ne net.Error
	return cerrdefs.IsUnavailable(err) || cerrdefs.IsPermissionDenied(err) || cerrdefs.IsUnauthorized(err) ||
		cerrdefs.IsDeadlineExceeded(err) || cerrdefs.IsInternal(err) || errors.As(err, &ne)
}

func failIn(phase string, err error) error {
	if err == nil {
		return nil
	}
	var pe *PhaseError
	if errors.As(err, &pe) {
		return err
	}
	return &PhaseError{Phase: phase, Err: err}
}

// Position is a place in a configuration file.
type Position struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// ErrorPosition returns where in a configuration file err points: a
// devcontainer.Error's place, or the first range of a BuildKit
// source-mapped error.
func ErrorPosition(err error) *Position {
	var de *devcontainer.Error
	if errors.As(err, &de) {
		return &Position{File: de.Filename, Line: de.Range.Start.Line, Column: de.Range.Start.Column}
	}
	for _, s := range solvererrdefs.Sources(err) {
		if s.Info == nil || len(s.Ranges) == 0 || s.Ranges[0].Start == nil {
			continue
		}
		return &Position{File: s.Info.Filename, Line: int(s.Ranges[0].Start.Line), Column: int(s.Ranges[0].Start.Character)}
	}
	return nil
}

// Fail records err on the result: outcome "error", the message, the phase,
// the position and the exit code.
func (r *Result) Fail(err error) {
	r.Outcome = OutcomeError
	r.Message = err.Error()
	r.Position = ErrorPosition(err)
	r.ExitCode = int(exitcode.Of(err))
	var pe *PhaseError
	if errors.As(err, &pe) {
		r.Phase = pe.Phase
	}
}
