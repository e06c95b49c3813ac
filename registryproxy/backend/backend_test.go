package backend

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, rt http.RoundTripper, method, path string, body io.Reader) *http.Response {
	req, err := http.NewRequest(method, path, body)
	require.NoError(t, err)
	req.URL.Scheme, req.URL.Host = "", ""
	resp, err := rt.RoundTrip(req)
	require.NoError(t, err)
	return resp
}

func TestRemoteBasicAuth(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		got.Store(u + ":" + p)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	r, err := NewRemote(RemoteOptions{URL: srv.URL, Username: "u", Password: "p"})
	require.NoError(t, err)
	resp := get(t, r, http.MethodGet, "/v2/a/tags/list", nil)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "u:p", got.Load())
}

func TestRemoteStaticBearer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	r, err := NewRemote(RemoteOptions{URL: srv.URL, BearerToken: "s3cret"})
	require.NoError(t, err)
	resp := get(t, r, http.MethodGet, "/v2/", nil)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestRemoteTokenProtocol: a registry that only accepts per-scope bearer
// tokens from its token endpoint; a streamed (non-replayable) PATCH body
// must go through on the first try.
func TestRemoteTokenProtocol(t *testing.T) {
	var tokenRequests atomic.Int32
	mux := http.NewServeMux()
	var srvURL string
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		tokenRequests.Add(1)
		if u, p, _ := r.BasicAuth(); u != "u" || p != "p" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, `{"token":"tok:`+strings.Join(r.URL.Query()["scope"], " ")+`","expires_in":300}`)
	})
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
		want := "Bearer tok:repository:a/b:pull,push"
		if r.URL.Path == "/v2/" || r.Header.Get("Authorization") != want {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+srvURL+`/token",service="reg",scope="repository:a/b:pull,push"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		n, _ := io.Copy(io.Discard, r.Body)
		w.Header().Set("Range", "0-"+strconv.FormatInt(n-1, 10))
		w.WriteHeader(http.StatusAccepted)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	srvURL = srv.URL
	r, err := NewRemote(RemoteOptions{URL: srv.URL, Username: "u", Password: "p"})
	require.NoError(t, err)
	pr, pw := io.Pipe()
	go func() { _, _ = pw.Write([]byte("hello")); pw.Close() }()
	resp := get(t, r, http.MethodPatch, "/v2/a/b/blobs/uploads/abc", pr)
	resp.Body.Close()
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)
	resp = get(t, r, http.MethodPatch, "/v2/a/b/blobs/uploads/abc", strings.NewReader("x"))
	resp.Body.Close()
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)
	assert.Equal(t, int32(1), tokenRequests.Load(), "tokens are cached per scope")
}

func TestParseChallenge(t *testing.T) {
	p := parseChallenge(`realm="https://auth/token",service="registry.example",scope="repository:a:pull,push",error="insufficient_scope"`)
	assert.Equal(t, "https://auth/token", p["realm"])
	assert.Equal(t, "registry.example", p["service"])
	assert.Equal(t, "repository:a:pull,push", p["scope"])
}

func TestNewRemoteValidatesURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "http://host/path"} {
		_, err := NewRemote(RemoteOptions{URL: u})
		assert.Error(t, err, u)
	}
}

func TestEmbedded(t *testing.T) {
	dir := t.TempDir()
	level := logrus.GetLevel()
	e, err := NewEmbedded(context.Background(), EmbeddedOptions{RootDir: dir + "/registry", Secret: []byte("0123456789abcdef0123456789abcdef")})
	require.NoError(t, err)
	defer e.Close()
	assert.Equal(t, level, logrus.GetLevel(), "a library constructor leaves the process's log level alone")
	resp := get(t, e, http.MethodGet, "/v2/", nil)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = e.OpenBlob(context.Background(), digest.FromString("absent"))
	require.Error(t, err)
	_, err = e.OpenBlob(context.Background(), digest.Digest("sha256:../../etc"))
	assert.Error(t, err)
}
