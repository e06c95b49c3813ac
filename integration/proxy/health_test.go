package proxy

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

// startRegistry runs the stack's distribution registry on addr with its
// own storage, for a proxy to use as its backend and a test to stop.
func startRegistry(t *testing.T, s *testenv.Stack, dir, addr string) *testenv.Proc {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o700))
	cfg := filepath.Join(dir, "config.yml")
	require.NoError(t, os.WriteFile(cfg, fmt.Appendf(nil,
		"version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  redirect:\n    disable: true\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "data"), addr), 0o600))
	p := testenv.StartProc(t, filepath.Join(dir, "registry.log"), s.Env(), filepath.Join(s.ToolsBin, "registry"), "serve", cfg)
	eventually(t, 20*time.Second, func() bool { return status(t, "http://"+addr+"/v2/") == http.StatusOK })
	return p
}

// status GETs url and returns its status code (0 when it cannot connect).
func status(t *testing.T, url string) int {
	t.Helper()
	code, _ := get(t, url)
	return code
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestBinaryHealthReadyPprof runs the real binary in front of a real
// registry backend and stops that backend: liveness stays 200 while
// readiness turns 503 (naming the backend) and back to 200 when the
// backend returns. pprof answers on the debug listener and is absent
// from the registry listener.
func TestBinaryHealthReadyPprof(t *testing.T) {
	s := testenv.Get(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	backendAddr, addr, debug := freeAddr(t), freeAddr(t), freeAddr(t)
	backend := startRegistry(t, s, filepath.Join(dir, "backend"), backendAddr)

	cfg := filepath.Join(dir, "proxy.toml")
	require.NoError(t, os.WriteFile(cfg, fmt.Appendf(nil, "version = 1\n[backend]\ntype = \"registry\"\nurl = \"http://%s\"\n", backendAddr), 0o600))
	testenv.StartProc(t, filepath.Join(dir, "proxy.log"), os.Environ(), bin, "serve", "--config", cfg,
		"--state-dir", filepath.Join(dir, "state"), "--addr", addr, "--debug-addr", debug)
	eventually(t, 20*time.Second, func() bool { return status(t, "http://"+debug+"/debug/ready") == http.StatusOK })
	assert.Equal(t, http.StatusOK, status(t, "http://"+debug+"/debug/health"))

	// pprof on the debug listener only.
	code, body := get(t, "http://"+debug+"/debug/pprof/")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "goroutine")
	code, body = get(t, "http://"+debug+"/debug/pprof/goroutine?debug=1")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "goroutine profile:")
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline", "/debug/health", "/debug/ready", "/metrics"} {
		assert.Equal(t, http.StatusNotFound, status(t, "http://"+addr+p), "registry listener must not serve %s", p)
	}

	// Backend down: alive, not ready.
	backend.Stop(t, syscall.SIGTERM)
	code, body = get(t, "http://"+debug+"/debug/ready")
	assert.Equal(t, http.StatusServiceUnavailable, code, body)
	var ready struct {
		Status string
		Checks map[string]string
	}
	require.NoError(t, json.Unmarshal([]byte(body), &ready), body)
	assert.Equal(t, "unavailable", ready.Status)
	assert.Contains(t, ready.Checks["backend"], "backend unreachable")
	assert.Equal(t, "ok", ready.Checks["keys"])
	code, body = get(t, "http://"+debug+"/debug/health")
	assert.Equal(t, http.StatusOK, code, "liveness must not depend on the backend")
	assert.JSONEq(t, `{"status":"ok"}`, body)

	// Backend back: ready again, without a proxy restart.
	startRegistry(t, s, filepath.Join(dir, "backend"), backendAddr)
	eventually(t, 20*time.Second, func() bool { return status(t, "http://"+debug+"/debug/ready") == http.StatusOK })
}
