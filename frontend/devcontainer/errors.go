package devcontainer

import (
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
)

// Error is a problem in a configuration file, located at a line and column.
// It unwraps to errdefs.ErrInvalidArgument, or errdefs.ErrNotImplemented for
// configurations devcache does not support (Docker Compose).
type Error struct {
	// Filename is the file as the user named it.
	Filename string
	// Path is the JSON path of the offending value ("build.args.FOO"), if any.
	Path string
	// Range locates the value.
	Range Range
	// Msg says what is wrong.
	Msg string

	kind error
}

func (e *Error) Error() string {
	loc := fmt.Sprintf("%s:%d:%d", e.Filename, e.Range.Start.Line, e.Range.Start.Column)
	if e.Path != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Path, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Unwrap returns the error kind.
func (e *Error) Unwrap() error {
	if e.kind != nil {
		return e.kind
	}
	return cerrdefs.ErrInvalidArgument
}
