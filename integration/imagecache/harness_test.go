package imagecache

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/crane"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/registryproxy/config"
	"github.com/devcache/devcache/registryproxy/credentials"
	"github.com/devcache/devcache/registryproxy/service"
)

// env is one test's world: the stack, a fresh proxy and a base image tag
// of its own (so tests can move it).
type env struct {
	t     testing.TB
	s     *testenv.Stack
	proxy *proxy
	// base is a tag in the stack registry that this test owns.
	base string
	// getTimeout bounds each runner's Get (5 min when zero; a cold build of
	// examples/devcontainer-huge takes longer).
	getTimeout time.Duration
}

type proxy struct {
	svc  *service.Service
	srv  *httptest.Server
	host string
	// requests counts the HTTP requests the proxy received; writes those
	// that write to a repository (any method but GET and HEAD, /token aside).
	requests, writes atomic.Int64
	// issue, when set, issues credentials instead of svc (replicas: their
	// admin endpoints).
	issue func(context.Context, credentials.Request) (credentials.Credential, error)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s := testenv.Get(t)
	e := &env{t: t, s: s}
	e.proxy = startProxy(t)
	e.base = newBase(t, s)
	return e
}

// newBase copies busybox to a tag of the stack registry of the test's own.
func newBase(t testing.TB, s *testenv.Stack) string {
	t.Helper()
	base := fmt.Sprintf("%s/it/imagecache-%d:v1", s.Registry, time.Now().UnixNano())
	require.NoError(t, crane.Copy(s.BusyboxImage(), base, crane.Insecure))
	return base
}

func startProxy(t testing.TB) *proxy { return startProxyTTL(t, 0) }

// startProxyTTL starts a proxy whose runner credentials live ttl (0: the
// default).
func startProxyTTL(t testing.TB, ttl time.Duration) *proxy {
	t.Helper()
	cfg := config.Default()
	if ttl > 0 {
		cfg.Auth.CredentialTTL.Duration = ttl
	}
	return startProxyConfig(t, cfg)
}

// startProxyShortLived starts a proxy whose credentials live 10 s with no
// clock skew: a credential not renewed is refused 10 s after its issue.
func startProxyShortLived(t testing.TB) *proxy {
	t.Helper()
	cfg := config.Default()
	cfg.Auth.CredentialTTL.Duration = 10 * time.Second
	cfg.Auth.ClockSkew = &config.Duration{}
	return startProxyConfig(t, cfg)
}

func startProxyConfig(t testing.TB, cfg *config.Config) *proxy {
	t.Helper()
	cfg.Server.StateDir = t.TempDir()
	cfg.Server.AdminAddr, cfg.Auth.KeysFile = "", ""
	require.NoError(t, cfg.Finish())
	svc, err := service.New(quiet(), cfg)
	require.NoError(t, err)
	p := &proxy{svc: svc}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.URL.Path != "/token" {
			p.writes.Add(1)
		}
		svc.Server.ServeHTTP(w, r)
	}))
	srv := p.srv
	p.host = strings.TrimPrefix(srv.URL, "http://")
	t.Cleanup(func() {
		srv.Close()
		_ = svc.Close()
	})
	return p
}

func testenvGet(tb testing.TB) *testenv.Stack { return testenv.Get(tb) }

// copyImage copies src (the stack registry) to dst with creds for dst's host.
func copyImage(src, dst string, creds *imagecache.HostCredentials) error {
	auth := authn.FromConfig(authn.AuthConfig{Username: creds.Username, Password: creds.Password})
	img, err := crane.Pull(src, crane.Insecure)
	if err != nil {
		return err
	}
	return crane.Push(img, dst, crane.Insecure, crane.WithAuth(auth))
}

func quiet() context.Context {
	return log.WithLogger(context.Background(), slog.New(slog.DiscardHandler))
}

// Issue implements imagecache.Credentials with the proxy's own issuer, as
// `devcache-proxy credentials` does.
func (p *proxy) Issue(ctx context.Context, project string, purpose contract.Purpose) (*imagecache.HostCredentials, error) {
	issue := p.issue
	if issue == nil {
		issue = service.Issuer(p.svc.Config, p.svc.Authority).Issue
	}
	c, err := issue(ctx, credentials.Request{Project: project, Purpose: contract.Purpose(purpose)})
	if err != nil {
		return nil, err
	}
	return &imagecache.HostCredentials{Host: p.host, Username: c.Username, Password: c.Password, ExpiresAt: c.ExpiresAt}, nil
}

// runner is one runner host: its own containerd namespace.
type runner struct {
	cache   *imagecache.Cache
	ns      string
	cc      *containerd.Client
	logs    *syncBuffer
	timeout time.Duration // of each Get; 5 min when zero
}

func (e *env) runner(name string) *runner {
	e.t.Helper()
	ctx := e.t.Context()
	bk, err := bkclient.New(ctx, e.s.BuildkitHost)
	require.NoError(e.t, err)
	cc, err := containerd.New(e.s.ContainerdAddress)
	require.NoError(e.t, err)
	ns := fmt.Sprintf("it-%s-%d", name, time.Now().UnixNano())
	e.t.Cleanup(func() {
		_ = bk.Close()
		cleanNamespace(cc, ns)
		_ = cc.Close()
	})
	return &runner{
		ns: ns, cc: cc, logs: &syncBuffer{}, timeout: e.getTimeout,
		cache: &imagecache.Cache{
			Keyer:       imagecache.HostKeyer{},
			Credentials: e.proxy,
			Registry:    &imagecache.OCIRegistry{},
			Builder:     &imagecache.BuildKit{Client: bk, Progress: progressui.QuietMode},
			Runtime:     &imagecache.Containerd{Client: cc, Namespace: ns},
			ProxyHost:   e.proxy.host,
		},
	}
}

func cleanNamespace(cc *containerd.Client, ns string) {
	ctx := namespaces.WithNamespace(context.Background(), ns)
	imgs, _ := cc.ImageService().List(ctx)
	for _, img := range imgs {
		_ = cc.ImageService().Delete(ctx, img.Name)
	}
}

// get runs one Get with the runner's log captured.
func (r *runner) get(t testing.TB, ws string, project string, purpose contract.Purpose) (*imagecache.Result, error) {
	t.Helper()
	timeout := r.timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	ctx = log.WithLogger(ctx, slog.New(slog.NewTextHandler(r.logs, nil)))
	return r.cache.Get(ctx, imagecache.Request{
		Workspace: imagecache.Workspace{Folder: ws, Config: filepath.Join(ws, ".devcontainer", "devcontainer.json")},
		Project:   project, Purpose: purpose, LocalName: "devcache.local/it:latest",
	})
}

// hasImage reports whether the runner's containerd has an image named ref.
func (r *runner) hasImage(t testing.TB, ref string) bool {
	t.Helper()
	_, err := r.cc.GetImage(namespaces.WithNamespace(t.Context(), r.ns), ref)
	return err == nil
}

// workspace writes a project: an image config with one local Feature.
func (e *env) workspace(files map[string]string) string {
	e.t.Helper()
	dir := e.t.TempDir()
	all := map[string]string{
		".devcontainer/devcontainer.json": fmt.Sprintf(`{
	// a Dev Container with one local Feature
	"image": %q,
	"features": {"./hello": {"greeting": "hi"}},
	"postCreateCommand": "echo created",
}`, e.base),
		".devcontainer/hello/devcontainer-feature.json": `{"id": "hello", "version": "1.0.0", "options": {"greeting": {"type": "string", "default": "hello"}}}`,
		".devcontainer/hello/install.sh":                "#!/bin/sh\nset -e\necho \"$GREETING\" > /etc/greeting\n",
		"README.md":                                     "a project\n",
	}
	for k, v := range files {
		all[k] = v
	}
	write(e.t, dir, all)
	return dir
}

func write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		require.NoError(t, os.WriteFile(p, []byte(content), mode))
	}
}

// cached reports whether projects/<project>/image-build:<key> exists in
// the proxy's backend, looked up with a create credential of that project.
func (e *env) cached(project, key string) bool {
	e.t.Helper()
	creds, err := e.proxy.Issue(e.t.Context(), project, contract.PurposeCreate)
	require.NoError(e.t, err)
	ref := e.proxy.host + "/" + contract.RepositoryName(project, contract.KindImageBuild) + ":" + strings.TrimPrefix(key, "sha256:")
	_, err = (&imagecache.OCIRegistry{}).Lookup(e.t.Context(), ref, creds)
	return err == nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
