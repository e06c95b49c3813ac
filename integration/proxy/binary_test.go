package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/registryproxy/credentials"
)

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func repoRoot(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var (
	buildOnce sync.Once
	binDir    string
	binErr    error
	binOut    []byte
)

// buildBinary builds cmd/devcache-proxy once per test binary (removed by TestMain).
func buildBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "devcache-proxy-bin-"); binErr != nil { //nolint:usetesting // one build per test process, removed by TestMain
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, "devcache-proxy"), "./cmd/devcache-proxy")
		cmd.Dir = repoRoot(t)
		binOut, binErr = cmd.CombinedOutput()
	})
	require.NoError(t, binErr, string(binOut))
	return filepath.Join(binDir, "devcache-proxy")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// TestBinaryServeCredentialsDrain runs the real binary: zero-config serve
// with --addr/--state-dir, credentials through the admin socket, health and
// metrics on the debug listener, and a SIGTERM that lets an in-flight
// upload finish.
func TestBinaryServeCredentialsDrain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	state := t.TempDir()
	addr, debug := freeAddr(t), freeAddr(t)
	var logs bytes.Buffer
	srv := exec.Command(bin, "serve", "--state-dir", state, "--addr", addr, "--debug-addr", debug, "--log-format", "json")
	srv.Stdout, srv.Stderr = &logs, &logs
	require.NoError(t, srv.Start())
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	t.Cleanup(func() {
		if srv.ProcessState == nil {
			_ = srv.Process.Kill()
		}
	})
	eventually(t, 20*time.Second, func() bool {
		resp, err := http.Get("http://" + debug + "/debug/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	out, err := exec.Command(bin, "credentials", "--state-dir", state, "--project", "alpha", "--purpose", "create").Output()
	require.NoError(t, err)
	var cred credentials.Credential
	require.NoError(t, json.Unmarshal(out, &cred))
	assert.Equal(t, "devcache", cred.Username)
	assert.WithinDuration(t, time.Now().Add(15*time.Minute), cred.ExpiresAt, time.Minute)
	// The admin endpoint refuses a wrong secret and bad requests.
	_, err = credentials.NewClient("unix:"+filepath.Join(state, "admin.sock"), "wrong").Issue(context.Background(), credentials.Request{Project: "alpha", Purpose: "create"})
	require.Error(t, err)
	bad, err := exec.Command(bin, "credentials", "--state-dir", state, "--project", "Alpha", "--purpose", "create").CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(bad), "project id")

	// Use it: token, then an upload whose body arrives slowly across SIGTERM.
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/token?scope=repository:"+repoA+":pull,push", nil)
	req.SetBasicAuth(cred.Username, cred.Password)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var tr tokenReply
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tr))
	resp.Body.Close()
	require.NotEmpty(t, tr.Token)

	post, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v2/"+repoA+"/blobs/uploads/", nil)
	post.Header.Set("Authorization", "Bearer "+tr.Token)
	resp, err = http.DefaultClient.Do(post)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	loc := resp.Header.Get("Location")

	pr, pw := io.Pipe()
	patch, _ := http.NewRequest(http.MethodPatch, "http://"+addr+loc, pr)
	patch.Header.Set("Authorization", "Bearer "+tr.Token)
	patch.Header.Set("Content-Type", "application/octet-stream")
	result := make(chan *http.Response, 1)
	go func() {
		r, err := http.DefaultClient.Do(patch)
		if err != nil {
			result <- nil
			return
		}
		r.Body.Close()
		result <- r
	}()
	_, _ = pw.Write(bytes.Repeat([]byte("a"), 1<<20))
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, srv.Process.Signal(syscall.SIGTERM))
	time.Sleep(300 * time.Millisecond)
	_, _ = pw.Write(bytes.Repeat([]byte("b"), 1<<20))
	pw.Close()
	r := <-result
	require.NotNil(t, r, "the in-flight upload completes during the drain")
	assert.Equal(t, http.StatusAccepted, r.StatusCode)
	assert.Equal(t, "0-2097151", r.Header.Get("Range"))
	select {
	case err := <-done:
		require.NoError(t, err, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not exit after SIGTERM")
	}
	assert.Contains(t, logs.String(), `"msg":"draining"`)
}

func TestBinaryMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	state := t.TempDir()
	addr, debug := freeAddr(t), freeAddr(t)
	srv := exec.Command(bin, "serve", "--state-dir", state, "--addr", addr, "--debug-addr", debug)
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() })
	eventually(t, 20*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusUnauthorized
	})
	resp, err := http.Get("http://" + debug + "/metrics")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(b), `devcache_proxy_requests_total{code="401",method="GET",route="base"}`)

	// gc runs next to a live server on the same state directory.
	out, err := exec.Command(bin, "gc", "--state-dir", state).Output()
	require.NoError(t, err)
	var rep struct{ Records, Deleted int }
	require.NoError(t, json.Unmarshal(out, &rep))
	assert.Equal(t, 0, rep.Deleted)
	resp, err = http.Get("http://" + debug + "/debug/ready")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the server's backend socket survived the gc run")
}
