package devcontainer

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/containerd/errdefs"
	solvererrdefs "github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
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
	// Data is the file's content, for an excerpt (nil when unknown).
	Data []byte

	kind  error
	cause error
}

func (e *Error) Error() string {
	loc := fmt.Sprintf("%s:%d:%d", e.Filename, e.Range.Start.Line, e.Range.Start.Column)
	if e.Path != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Path, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Unwrap returns the cause of an error made by WrapAt (and so its kind),
// or the error kind.
func (e *Error) Unwrap() error {
	if e.cause != nil {
		return e.cause
	}
	if e.kind != nil {
		return e.kind
	}
	return errdefs.ErrInvalidArgument
}

// WrapAt locates err at the property at path: the whole member (its name
// and value) when the property exists, err unchanged otherwise. The result
// unwraps to err, keeping its kind.
func (s *Source) WrapAt(err error, path ...string) error {
	if err == nil || s == nil {
		return err
	}
	r, ok := s.memberRange(path...)
	if !ok {
		return err
	}
	return &Error{Filename: s.Filename, Path: joinPath(path), Range: r, Msg: err.Error(), Data: s.Data, cause: err}
}

// joinPath writes a JSON path as jq does: features["ghcr.io/x/y:1"].
func joinPath(path []string) string {
	var b strings.Builder
	for i, p := range path {
		switch {
		case strings.ContainsAny(p, ".:/[]\" \t") || p == "":
			fmt.Fprintf(&b, "[%q]", p)
		case i > 0:
			b.WriteString("." + p)
		default:
			b.WriteString(p)
		}
	}
	return b.String()
}

// PrintExcerpt writes the lines around the error, the way buildx prints a
// source-mapped BuildKit error (BuildKit's own printer); nothing when the
// file's content is unknown.
func (e *Error) PrintExcerpt(w io.Writer) error {
	if len(e.Data) == 0 || e.Range.Start.Line == 0 {
		return nil
	}
	end := e.Range.End
	if end.Line == 0 {
		end = e.Range.Start
	}
	s := &solvererrdefs.Source{
		Info: &pb.SourceInfo{Filename: e.Filename, Data: e.Data},
		Ranges: []*pb.Range{{
			Start: &pb.Position{Line: clamp32(e.Range.Start.Line), Character: clamp32(e.Range.Start.Column)},
			End:   &pb.Position{Line: clamp32(end.Line), Character: clamp32(end.Column)},
		}},
	}
	return s.Print(w)
}

func clamp32(n int) int32 {
	return int32(min(max(n, 0), math.MaxInt32)) //nolint:gosec // clamped
}
