package snapshotter

import (
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// throttle is a reverse proxy on loopback in front of the registry that
// limits blob bodies (downloads and uploads) to rate bytes per second and
// counts them.
type throttle struct {
	host                 string
	rate                 int64
	downloaded, uploaded atomic.Int64
}

func newThrottle(t *testing.T, registry string, rate int64) *throttle {
	t.Helper()
	th := &throttle{rate: rate}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: registry})
	rp.FlushInterval = -1
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method == http.MethodGet && strings.Contains(resp.Request.URL.Path, "/blobs/") {
			resp.Body = &slowBody{ReadCloser: resp.Body, rate: rate, n: &th.downloaded}
		}
		return nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && (r.Method == http.MethodPatch || r.Method == http.MethodPut) {
			r.Body = &slowBody{ReadCloser: r.Body, rate: rate, n: &th.uploaded}
		}
		rp.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	th.host = l.Addr().String()
	return th
}

// slowBody reads at most rate bytes per second.
type slowBody struct {
	io.ReadCloser
	rate int64
	n    *atomic.Int64
}

func (b *slowBody) Read(p []byte) (int, error) {
	if max := int(b.rate / 20); len(p) > max {
		p = p[:max]
	}
	start := time.Now()
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	if want := time.Duration(int64(n) * int64(time.Second) / b.rate); want > time.Since(start) {
		time.Sleep(want - time.Since(start))
	}
	return n, err
}
