package imagecache

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
)

// TestLazyWarmStart: a cached image (eStargz, the default) is made
// available on a fresh runner host with devcache-snapshotter without
// downloading its layers: every layer is mounted lazily, the result says
// so, nothing is warned, and the environment runs from it.
func TestLazyWarmStart(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(nil)
	cold := e.runner("cold")
	res, err := cold.get(t, ws, "lazy", contract.PurposeCreate)
	require.NoError(t, err, cold.logs.String())
	require.True(t, res.Pushed)

	host := e.freshHost(filepath.Join(shortDir(t), "h"))
	warm := e.onHost("warm", host, true)
	hit, err := warm.get(t, ws, "lazy", contract.PurposeCreate)
	require.NoError(t, err, warm.logs.String()+host.Plugin.Log())
	require.Equal(t, imagecache.OutcomeHit, hit.Outcome)
	require.NotNil(t, hit.Pull)
	require.Equal(t, imagecache.PullLazy, hit.Pull.Mode, "%+v\n%s", hit.Pull.Layers, host.Plugin.Log())
	require.NotEmpty(t, hit.Pull.Layers)
	assert.Empty(t, hit.Warnings)

	out, err := warm.run(t, hit.Image, "cat", "/etc/greeting")
	require.NoError(t, err, host.Plugin.Log())
	assert.Equal(t, "hi", strings.TrimSpace(out))
}

// TestLazyFallbackWithoutRanges: a registry that does not serve range
// requests gets a full pull, said once with the image, the layer and the
// reason; the result lists every layer as full.
func TestLazyFallbackWithoutRanges(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(nil)
	cold := e.runner("cold")
	_, err := cold.get(t, ws, "norange", contract.PurposeCreate)
	require.NoError(t, err, cold.logs.String())

	// The proxy, behind a front that drops Range headers (and so answers
	// 200 with the whole blob), as some registries and CDNs do.
	target, err := url.Parse("http://" + e.proxy.host)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Range")
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	frontHost := strings.TrimPrefix(front.URL, "http://")

	host := e.freshHost(filepath.Join(shortDir(t), "h"))
	warm := e.onHost("warm", host, true)
	warm.cache.ProxyHost = frontHost
	warm.cache.Credentials = hostOverride{e.proxy, frontHost}
	hit, err := warm.get(t, ws, "norange", contract.PurposeCreate)
	require.NoError(t, err, warm.logs.String()+host.Plugin.Log())
	require.Equal(t, imagecache.OutcomeHit, hit.Outcome)
	require.Equal(t, imagecache.PullFull, hit.Pull.Mode, "%+v", hit.Pull.Layers)
	for _, l := range hit.Pull.Layers {
		assert.Contains(t, l.Reason, "range requests", l.Digest)
	}
	require.Len(t, hit.Warnings, 1, "said once")
	first := hit.Pull.Layers[0]
	assert.Contains(t, hit.Warnings[0], hit.Image)
	assert.Contains(t, hit.Warnings[0], first.Digest)
	assert.Contains(t, hit.Warnings[0], "does not serve range requests")
	assert.Equal(t, 1, strings.Count(warm.logs.String(), "not lazily"), "logged once")

	out, err := warm.run(t, hit.Image, "cat", "/etc/greeting")
	require.NoError(t, err, host.Plugin.Log())
	assert.Equal(t, "hi", strings.TrimSpace(out))
}

// hostOverride issues the proxy's credentials for another host name (a
// front of the proxy).
type hostOverride struct {
	p    *proxy
	host string
}

func (h hostOverride) Issue(ctx context.Context, project string, purpose contract.Purpose) (*imagecache.HostCredentials, error) {
	c, err := h.p.Issue(ctx, project, purpose)
	if err != nil {
		return nil, err
	}
	c.Host = h.host
	return c, nil
}
