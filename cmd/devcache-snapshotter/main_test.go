package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func run(t *testing.T, args ...string) error {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	return root.ExecuteContext(t.Context())
}

func TestServeRejectsUnknownRestoreMode(t *testing.T) {
	err := run(t, "--root", t.TempDir(), "--address", t.TempDir()+"/s.sock", "--restore", "sometimes")
	require.ErrorContains(t, err, `invalid --restore "sometimes"`)
}

func TestCaptureNeedsASource(t *testing.T) {
	err := run(t, "capture", "--target", "127.0.0.1:1/projects/p/prebuild:v1")
	require.ErrorContains(t, err, "one of --container, --snapshot-key or --upperdir is required")
}

func TestCaptureNeedsABaseWithoutContainer(t *testing.T) {
	err := run(t, "capture", "--target", "127.0.0.1:1/projects/p/prebuild:v1", "--upperdir", t.TempDir())
	require.ErrorContains(t, err, "--base is required")
}

func TestCaptureRejectsBadWorkspace(t *testing.T) {
	err := run(t, "capture", "--target", "127.0.0.1:1/p:v1", "--upperdir", t.TempDir(), "--base", "127.0.0.1:1/b:v1", "--workspace", "/w")
	require.ErrorContains(t, err, "want PATH=DIR")
}
