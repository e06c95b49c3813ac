package log

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/sirupsen/logrus"
)

// RouteLogrus sends the records of logrus's standard logger to h, so one
// stream (one --log-level, one --log-format) carries devcache's records
// and those of its dependencies: containerd (containerd/log), BuildKit
// (bklog), stargz-snapshotter and distribution (dcontext) all log through
// logrus.StandardLogger(). Records below level are dropped in logrus,
// before their fields are built. Only a binary's main calls it (through
// internal/cli): it changes process-wide state.
func RouteLogrus(h slog.Handler, level slog.Level) {
	std := logrus.StandardLogger()
	std.ReplaceHooks(logrus.LevelHooks{})
	std.AddHook(&slogHook{h: h})
	std.SetFormatter(discard{})
	std.SetOutput(nowhere{})
	std.SetLevel(LogrusLevel(level))
}

// LogrusLevel is the logrus level that lets through what level does.
func LogrusLevel(level slog.Level) logrus.Level {
	switch {
	case level < slog.LevelDebug:
		return logrus.TraceLevel
	case level < slog.LevelInfo:
		return logrus.DebugLevel
	case level < slog.LevelWarn:
		return logrus.InfoLevel
	case level < slog.LevelError:
		return logrus.WarnLevel
	default:
		return logrus.ErrorLevel
	}
}

func slogLevel(l logrus.Level) slog.Level {
	switch l {
	case logrus.PanicLevel, logrus.FatalLevel:
		return slog.LevelError + 4
	case logrus.ErrorLevel:
		return slog.LevelError
	case logrus.WarnLevel:
		return slog.LevelWarn
	case logrus.InfoLevel:
		return slog.LevelInfo
	case logrus.DebugLevel:
		return slog.LevelDebug
	default:
		return slog.LevelDebug - 4
	}
}

// slogHook turns each logrus entry into one slog record: its time, level,
// message and fields (sorted by name; errors as their text).
type slogHook struct{ h slog.Handler }

func (*slogHook) Levels() []logrus.Level { return logrus.AllLevels }

func (s *slogHook) Fire(e *logrus.Entry) error {
	ctx := e.Context
	if ctx == nil {
		ctx = context.Background()
	}
	lvl := slogLevel(e.Level)
	if !s.h.Enabled(ctx, lvl) {
		return nil
	}
	r := slog.NewRecord(e.Time, lvl, strings.TrimRight(e.Message, "\n"), 0)
	keys := make([]string, 0, len(e.Data))
	for k := range e.Data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := e.Data[k]
		switch x := v.(type) {
		case error:
			v = x.Error()
		case fmt.Stringer:
			v = x.String()
		}
		r.AddAttrs(slog.Any(k, v))
	}
	return s.h.Handle(ctx, r)
}

// discard formats nothing: the hook wrote the record already.
type discard struct{}

func (discard) Format(*logrus.Entry) ([]byte, error) { return nil, nil }

type nowhere struct{}

func (nowhere) Write(p []byte) (int, error) { return len(p), nil }
