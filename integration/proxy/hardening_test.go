package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/backend"
	"github.com/devcache/devcache/registryproxy/config"
	"github.com/devcache/devcache/registryproxy/gc"
	"github.com/devcache/devcache/registryproxy/policy"
)

const runnerTemplate = "gitpod-runner-{runner}/projects/{project}/{repository}"

// TestRunnersShareABackendSafely: two runners over one backing registry.
// Each keeps its push records under its own prefix, and runner 1's gc with
// an expiry that has passed for everything leaves runner 2's image (and
// records) alone.
func TestRunnersShareABackendSafely(t *testing.T) {
	shared := startProxy(t, func(c *config.Config) { c.Backend.EmbeddedListen = "127.0.0.1:0" })
	url := shared.svc.Backend.(*backend.Embedded).BaseURL()
	runner := func(id string) *proxy {
		return startProxy(t, func(c *config.Config) {
			c.Backend.Type, c.Backend.URL = "registry", url
			c.Backend.Repository, c.Backend.Runner = runnerTemplate, id
		})
	}
	r1, r2 := runner("r1"), runner("r2")
	require.Equal(t, "devcache/r1/push-records", r1.svc.Records.Repository())
	require.Equal(t, "devcache/r2/push-records", r2.svc.Records.Repository())

	tok1 := r1.pushToken(r1.credential("alpha", contract.PurposeCreate), repoA)
	m1, _ := r1.image(tok1, repoA, "runner1")
	require.Equal(t, http.StatusCreated, r1.putManifest(tok1, repoA, "k", m1).Status)
	tok2 := r2.pushToken(r2.credential("alpha", contract.PurposeCreate), repoA)
	m2, d2 := r2.image(tok2, repoA, "runner2")
	require.Equal(t, http.StatusCreated, r2.putManifest(tok2, repoA, "k", m2).Status)

	rep, err := gc.Sweep(context.Background(), r1.svc.Records, r1.svc.Backend, r1.svc.Layout.Namer,
		policy.Expiry{Cache: time.Nanosecond, Prebuild: time.Nanosecond}, time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Deleted, "runner 1 swept its own image only")

	g := r2.do(http.MethodGet, "/v2/"+repoA+"/manifests/k", tok2, nil, map[string]string{"Accept": manifestAccept})
	require.Equal(t, http.StatusOK, g.Status, "runner 2's image survives runner 1's gc")
	assert.Equal(t, d2.String(), g.Header.Get("Docker-Content-Digest"))
	_, err = r2.svc.Records.Get(context.Background(), "gitpod-runner-r2/"+repoA, "k")
	require.NoError(t, err, "runner 2's record survives")
	g = r1.do(http.MethodGet, "/v2/"+repoA+"/manifests/k", tok1, nil, map[string]string{"Accept": manifestAccept})
	assert.Equal(t, http.StatusNotFound, g.Status, "runner 1's image was swept")
}

// TestUnsafeLayoutsRefusedAtStart: `devcache-proxy serve` refuses, with a
// clear error, a push-record repository inside the client namespace, a
// runner id with templates that do not separate runners, and admin or
// embedded-registry listeners beyond loopback.
func TestUnsafeLayoutsRefusedAtStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	for _, c := range []struct{ name, toml, want string }{
		{"meta in client namespace", "[backend]\nmeta_repository = \"projects/meta/image-build\"\n", `backend.meta_repository "projects/meta/image-build" is inside the client namespace`},
		{"meta in runner namespace", "[backend]\ntype = \"registry\"\nurl = \"http://127.0.0.1:1\"\nrunner = \"r1\"\nrepository = \"" + runnerTemplate + "\"\nmeta_repository = \"gitpod-runner-{runner}/projects/x/prebuild\"\n", "inside the client namespace"},
		{"runner without {runner}", "[backend]\ntype = \"registry\"\nurl = \"http://127.0.0.1:1\"\nrunner = \"r1\"\n", `backend.repository "projects/{project}/{repository}" has no {runner}`},
		{"records without {runner}", "[backend]\ntype = \"registry\"\nurl = \"http://127.0.0.1:1\"\nrunner = \"r1\"\nrepository = \"" + runnerTemplate + "\"\nmeta_repository = \"devcache/records\"\n", `backend.meta_repository "devcache/records" has no {runner}`},
		{"admin off loopback", "[server]\nadmin_addr = \"0.0.0.0:0\"\n", `server.admin_addr "0.0.0.0:0" is not loopback`},
		{"embedded off loopback", "[backend]\nembedded_listen = \"10.1.2.3:5000\"\n", `backend.embedded_listen "10.1.2.3:5000" is not a unix socket or loopback address`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "proxy.toml")
			body := fmt.Sprintf("version = 1\n%s", c.toml)
			if !strings.Contains(body, "[server]") {
				body += "[server]\n"
			}
			body = strings.Replace(body, "[server]\n", fmt.Sprintf("[server]\naddr = %q\nstate_dir = %q\n", freeAddr(t), dir), 1)
			require.NoError(t, os.WriteFile(cfg, []byte(body), 0o600))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, "serve", "--config", cfg).CombinedOutput()
			require.Error(t, err, "serve must refuse:\n%s", out)
			require.NoError(t, ctx.Err(), "serve started instead of refusing")
			assert.Contains(t, string(out), c.want)
		})
	}
}

// TestGCKeepsManifestsOfLiveIndexes: an expired tag points at a manifest
// that a live multi-platform index references; the sweep deletes the tag
// but keeps the manifest, so the index stays pullable.
func TestGCKeepsManifestsOfLiveIndexes(t *testing.T) {
	const expiry = time.Hour
	p := startProxy(t, func(c *config.Config) { c.Cache.Expiry = config.Duration{Duration: expiry} })
	tok := p.pushToken(p.credential("alpha", contract.PurposeCreate), repoA)
	m, d := p.image(tok, repoA, "platform")
	require.Equal(t, http.StatusCreated, p.putManifest(tok, repoA, "single", m).Status)
	time.Sleep(1500 * time.Millisecond)
	idx := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[`+
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d,"platform":{"architecture":"amd64","os":"linux"}}]}`, d, len(m))
	r := p.do(http.MethodPut, "/v2/"+repoA+"/manifests/multi", tok, []byte(idx), map[string]string{"Content-Type": "application/vnd.oci.image.index.v1+json"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))

	ctx := context.Background()
	single, err := p.svc.Records.Get(ctx, repoA, "single")
	require.NoError(t, err)
	multi, err := p.svc.Records.Get(ctx, repoA, "multi")
	require.NoError(t, err)
	at := single.PushedAt.Add(expiry).Add(multi.PushedAt.Sub(single.PushedAt) / 2) // single expired, multi live
	rep, err := gc.Sweep(ctx, p.svc.Records, p.svc.Backend, p.svc.Layout.Namer, p.svc.Config.Expiry(), at)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Deleted)

	st, _ := backendHead(t, p, "/v2/"+repoA+"/manifests/single")
	assert.Equal(t, http.StatusNotFound, st, "the expired tag is gone")
	st, _ = backendHead(t, p, "/v2/"+repoA+"/manifests/"+d.String())
	assert.Equal(t, http.StatusOK, st, "the manifest a live index references is kept")
}

// TestRefusedManifestLeavesNoRecord: a manifest the backend refuses (its
// layer was never uploaded) leaves no push record, so nothing claims the tag.
func TestRefusedManifestLeavesNoRecord(t *testing.T) {
	p := startProxy(t, nil)
	tok := p.pushToken(p.credential("alpha", contract.PurposeCreate), repoA)
	cfgBlob := []byte(`{"architecture":"amd64","os":"linux"}`)
	cd := p.pushBlob(tok, repoA, cfgBlob)
	bad := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":1}]}`, cd, len(cfgBlob), strings.Repeat("0", 64))
	r := p.putManifest(tok, repoA, "refused", []byte(bad))
	require.Equal(t, http.StatusBadRequest, r.Status, string(r.Body))
	p.svc.Records.Forget(repoA, "refused")
	_, err := p.svc.Records.Get(context.Background(), repoA, "refused")
	assert.True(t, errdefs.IsNotFound(err), "no record for a refused manifest: %v", err)
}

// TestTokenBodyHardening: /token checks Basic credentials before it reads a
// body, and a client trickling its body is cut off after the token body
// timeout; an upload trickling below the minimum rate is cut off too.
func TestTokenBodyHardening(t *testing.T) {
	p := startProxy(t, nil)
	t.Run("basic before body", func(t *testing.T) {
		t.Parallel()
		conn := dial(t, p)
		start := time.Now()
		fmt.Fprintf(conn, "POST /token HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n",
			p.Host, "YTpi") // "a:b": never sends the body
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Less(t, time.Since(start), 5*time.Second, "refused without waiting for the body")
	})
	t.Run("trickled token body", func(t *testing.T) {
		t.Parallel()
		held := trickle(t, p, "POST /token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n")
		assert.Less(t, held, 10*time.Second+5*time.Second, "connection cut near the token body timeout, held %s", held)
	})
	t.Run("trickled upload", func(t *testing.T) {
		t.Parallel()
		tok := p.pushToken(p.credential("alpha", contract.PurposeCreate), repoA)
		r := p.do(http.MethodPost, "/v2/"+repoA+"/blobs/uploads/", tok, nil, nil)
		require.Equal(t, http.StatusAccepted, r.Status)
		loc, err := url.Parse(r.Header.Get("Location"))
		require.NoError(t, err)
		held := trickle(t, p, "PATCH "+loc.RequestURI()+" HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer "+tok+
			"\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000000\r\n\r\n")
		assert.Less(t, held, 20*time.Second+8*time.Second, "upload cut near the grace period, held %s", held)
	})
}

func dial(t *testing.T, p *proxy) net.Conn {
	conn, err := net.Dial("tcp", p.Host)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// trickle sends the request head, then one body byte per second until the
// server closes the connection (at most 60 s), and says how long it took.
func trickle(t *testing.T, p *proxy, head string) time.Duration {
	conn := dial(t, p)
	start := time.Now()
	_, err := fmt.Fprintf(conn, head, p.Host)
	require.NoError(t, err)
	closed := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, conn); close(closed) }()
	for time.Since(start) < 60*time.Second {
		if _, err := conn.Write([]byte("a")); err != nil {
			break
		}
		select {
		case <-closed:
			return time.Since(start)
		case <-time.After(time.Second):
		}
	}
	<-closed
	return time.Since(start)
}

// TestTagListPagedByDefault: a listing without n returns one page of
// DefaultTagsPage tags and a Link to the rest.
func TestTagListPagedByDefault(t *testing.T) {
	p := startProxy(t, nil)
	tok := p.pushToken(p.credential("alpha", contract.PurposeCreate), repoA)
	m, _ := p.image(tok, repoA, "paged")
	const total = 105
	for i := range total {
		require.Equal(t, http.StatusCreated, p.putManifest(tok, repoA, fmt.Sprintf("t%03d", i), m).Status)
	}
	var tl struct {
		Tags []string `json:"tags"`
	}
	r := p.do(http.MethodGet, "/v2/"+repoA+"/tags/list", tok, nil, nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.NoError(t, json.Unmarshal(r.Body, &tl))
	require.Len(t, tl.Tags, 100)
	link := r.Header.Get("Link")
	require.Contains(t, link, `rel="next"`)
	next := link[strings.IndexByte(link, '<')+1 : strings.IndexByte(link, '>')]
	require.True(t, strings.HasPrefix(next, "/v2/"+repoA+"/tags/list?"), next)
	r = p.do(http.MethodGet, next, tok, nil, nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.NoError(t, json.Unmarshal(r.Body, &tl))
	assert.Len(t, tl.Tags, total-100)
	assert.Empty(t, r.Header.Get("Link"))
}
