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
// "warn", "error") in the named format ("text" or "json").
func New(w io.Writer, level string, format Format) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("invalid --log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case FormatText, "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case FormatJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("invalid --log-format %q: want text or json", format)
	}
}
