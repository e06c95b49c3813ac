package log

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewJSON(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(&buf, "debug", FormatJSON)
	require.NoError(t, err)
	G(WithLogger(context.Background(), l)).Debug("hello", "k", "v")
	var rec map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
	require.Equal(t, "hello", rec["msg"])
	require.Equal(t, "v", rec["k"])
}

func TestNewRejectsBadInput(t *testing.T) {
	_, err := New(&bytes.Buffer{}, "loud", FormatText)
	require.ErrorContains(t, err, "--log-level")
	_, err = New(&bytes.Buffer{}, "info", "xml")
	require.ErrorContains(t, err, "--log-format")
}

func TestLevelFilters(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(&buf, "warn", FormatText)
	require.NoError(t, err)
	l.Info("dropped")
	require.Empty(t, buf.String())
}
