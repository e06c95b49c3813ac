// Package log carries a structured logger (log/slog) in a context, the way
// containerd's log.G(ctx) does, and builds it from the --log-level and
// --log-format flags every devcache binary accepts.
package log

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

type loggerKey struct{}

// G returns the logger carried by ctx, or slog's default logger.
func G(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// WithLogger returns a context that carries l.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Format is how log records are written.
type Format string

const (
	// FormatText writes logfmt-style key=value records.
	FormatText Format = "text"
	// FormatJSON writes one JSON object per record.
	FormatJSON Format = "json"
)

// New builds a logger writing to w at the named level ("debug", "info",
// "warn", "error") in the named format ("text" or "json"). Records are in
// the ecosystem's form, as containerd's and BuildKit's logrus output:
// lower-case level names ("level":"info") and durations as Go strings
// ("1.5s"), not nanoseconds.
func New(w io.Writer, level string, format Format) (*slog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lvl, ReplaceAttr: ecosystemForm}
	switch format {
	case FormatText, "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case FormatJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("invalid --log-format %q: want text or json", format)
	}
}

// ParseLevel reads a --log-level value.
func ParseLevel(level string) (slog.Level, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return 0, fmt.Errorf("invalid --log-level %q: want debug, info, warn or error", level)
	}
	return lvl, nil
}

// ecosystemForm writes levels as logrus names them and durations as Go
// duration strings.
func ecosystemForm(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.LevelKey {
		if l, ok := a.Value.Any().(slog.Level); ok {
			return slog.String(slog.LevelKey, LevelName(l))
		}
	}
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}

// LevelName is l's name in logrus's words: trace, debug, info, warning,
// error, fatal.
func LevelName(l slog.Level) string {
	switch {
	case l < slog.LevelDebug:
		return "trace"
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warning"
	case l < slog.LevelError+4:
		return "error"
	default:
		return "fatal"
	}
}
