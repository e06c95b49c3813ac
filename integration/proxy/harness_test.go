package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/registryproxy/config"
	"github.com/devcache/devcache/registryproxy/credentials"
	"github.com/devcache/devcache/registryproxy/service"
)

// proxy is an in-process devcache-proxy over an embedded registry in a
// temporary state directory, listening on a free loopback port.
type proxy struct {
	t    testing.TB
	svc  *service.Service
	srv  *httptest.Server
	Host string // host:port
	URL  string
}

func startProxy(t testing.TB, mutate func(*config.Config)) *proxy {
	t.Helper()
	cfg := config.Default()
	cfg.Server.StateDir = t.TempDir()
	cfg.Server.AdminAddr, cfg.Auth.KeysFile = "", ""
	if mutate != nil {
		mutate(cfg)
	}
	require.NoError(t, cfg.Finish())
	ctx := log.WithLogger(context.Background(), slog.New(slog.DiscardHandler))
	if testing.Verbose() {
		ctx = context.Background()
	}
	svc, err := service.New(ctx, cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(svc.Server)
	t.Cleanup(func() {
		srv.Close()
		svc.Close()
	})
	return &proxy{t: t, svc: svc, srv: srv, Host: strings.TrimPrefix(srv.URL, "http://"), URL: srv.URL}
}

// credential issues a runner credential like `devcache-proxy credentials`.
func (p *proxy) credential(project string, purpose contract.Purpose) credentials.Credential {
	p.t.Helper()
	c, err := service.Issuer(p.svc.Config, p.svc.Authority).Issue(context.Background(), credentials.Request{Project: project, Purpose: purpose})
	require.NoError(p.t, err)
	return c
}

type tokenReply struct {
	Token     string `json:"token"`
	ExpiresIn int    `json:"expires_in"`
	Scope     string `json:"scope"`
}

// token asks /token (GET, Basic auth) for scopes.
func (p *proxy) token(c credentials.Credential, scopes ...string) tokenReply {
	p.t.Helper()
	service := "devcache-proxy" // the default, for proxies of other processes
	if p.svc != nil {
		service = p.svc.Authority.Service()
	}
	q := url.Values{"service": {service}, "scope": scopes}
	req, _ := http.NewRequest(http.MethodGet, p.URL+"/token?"+q.Encode(), nil)
	req.SetBasicAuth(c.Username, c.Password)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	require.Equal(p.t, http.StatusOK, resp.StatusCode)
	var tr tokenReply
	require.NoError(p.t, json.NewDecoder(resp.Body).Decode(&tr))
	return tr
}

// pushToken returns a bearer token with pull,push on repo.
func (p *proxy) pushToken(c credentials.Credential, repo string) string {
	return p.token(c, "repository:"+repo+":pull,push").Token
}

type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) code() string {
	var doc struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(r.Body, &doc)
	if len(doc.Errors) == 0 {
		return ""
	}
	return doc.Errors[0].Code
}

// do sends a raw request; path is sent exactly as written (opaque).
func (p *proxy) do(method, path, bearer string, body []byte, hdr map[string]string) reply {
	p.t.Helper()
	req, err := http.NewRequest(method, p.URL+"/", bytes.NewReader(body))
	require.NoError(p.t, err)
	if i := strings.IndexByte(path, '?'); i >= 0 {
		req.URL.RawQuery = path[i+1:]
		path = path[:i]
	}
	req.URL.Opaque = "//" + p.Host + path
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(p.t, err)
	return reply{resp.StatusCode, resp.Header, b}
}

// pushBlob uploads data to repo (POST then PUT) and returns its digest.
func (p *proxy) pushBlob(tok, repo string, data []byte) digest.Digest {
	p.t.Helper()
	d := digest.FromBytes(data)
	r := p.do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/", tok, nil, nil)
	require.Equal(p.t, http.StatusAccepted, r.Status, string(r.Body))
	loc := r.Header.Get("Location")
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	r = p.do(http.MethodPut, loc+sep+"digest="+d.String(), tok, data, map[string]string{"Content-Type": "application/octet-stream"})
	require.Equal(p.t, http.StatusCreated, r.Status, string(r.Body))
	return d
}

// image pushes a one-layer image (unique per seed) and returns its manifest.
func (p *proxy) image(tok, repo, seed string) ([]byte, digest.Digest) {
	p.t.Helper()
	layer := []byte("layer " + seed)
	cfgBlob := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:` + sha(layer) + `"]}}`)
	ld := p.pushBlob(tok, repo, layer)
	cd := p.pushBlob(tok, repo, cfgBlob)
	m := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}`, cd, len(cfgBlob), ld, len(layer))
	return []byte(m), digest.FromBytes([]byte(m))
}

func (p *proxy) putManifest(tok, repo, ref string, m []byte) reply {
	return p.do(http.MethodPut, "/v2/"+repo+"/manifests/"+ref, tok, m, map[string]string{"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func eventually(t testing.TB, d time.Duration, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
