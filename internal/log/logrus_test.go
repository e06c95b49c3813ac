package log

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	clog "github.com/containerd/log"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/require"
)

func records(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		out = append(out, r)
	}
	return out
}

// Records are in the ecosystem's form: "level":"info", durations as Go
// strings.
func TestJSONLevelsAndDurations(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(&buf, "debug", FormatJSON)
	require.NoError(t, err)
	l.Info("built", "took", 1500*time.Millisecond)
	l.Warn("slow")
	recs := records(t, &buf)
	require.Len(t, recs, 2)
	require.Equal(t, "info", recs[0]["level"])
	require.Equal(t, "1.5s", recs[0]["took"])
	require.Equal(t, "warning", recs[1]["level"])

	buf.Reset()
	l, err = New(&buf, "info", FormatText)
	require.NoError(t, err)
	l.Info("built", "took", 2*time.Second)
	require.Contains(t, buf.String(), "level=info")
	require.Contains(t, buf.String(), "took=2s")
}

// The dependencies' logrus records (containerd/log, BuildKit's bklog,
// distribution's dcontext) land in the same handler, at the same level,
// in the same format; nothing reaches logrus's own output.
func TestRouteLogrus(t *testing.T) {
	std := logrus.StandardLogger()
	oldOut, oldFmt, oldLevel, oldHooks := std.Out, std.Formatter, std.GetLevel(), std.ReplaceHooks(logrus.LevelHooks{})
	t.Cleanup(func() {
		std.SetOutput(oldOut)
		std.SetFormatter(oldFmt)
		std.SetLevel(oldLevel)
		std.ReplaceHooks(oldHooks)
	})
	var buf bytes.Buffer
	l, err := New(&buf, "info", FormatJSON)
	require.NoError(t, err)
	RouteLogrus(l.With("component", "devcache-snapshotter").Handler(), slog.LevelInfo)

	clog.L.WithField("ref", "r1").WithError(errors.New("boom")).Warn("containerd said")
	logrus.WithField("took", 3*time.Second).Info("distribution said\n")
	logrus.Debug("dropped: below --log-level")
	recs := records(t, &buf)
	require.Len(t, recs, 2, buf.String())
	require.Equal(t, "warning", recs[0]["level"])
	require.Equal(t, "containerd said", recs[0]["msg"])
	require.Equal(t, "r1", recs[0]["ref"])
	require.Equal(t, "boom", recs[0]["error"])
	require.Equal(t, "devcache-snapshotter", recs[0]["component"])
	require.Equal(t, "info", recs[1]["level"])
	require.Equal(t, "distribution said", recs[1]["msg"])
	require.Equal(t, "3s", recs[1]["took"])
	require.False(t, std.IsLevelEnabled(logrus.DebugLevel), "debug entries are not even built")
}
