package imagecache

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
)

// blobInstall adds 32 MiB of incompressible data to the image, which a
// lazily started environment has not fetched yet when its registry goes.
const blobInstall = "#!/bin/sh\nset -e\necho \"$GREETING\" > /etc/greeting\ndd if=/dev/urandom of=/opt-blob bs=1M count=32 2>/dev/null\n"

// front is the registry as a runner host reaches it: the proxy behind a
// throttled front that can vanish (listener closed, connections cut).
type front struct {
	srv  *httptest.Server
	host string
	gone atomic.Bool
}

func newFront(t *testing.T, target string, rate int64) *front {
	t.Helper()
	u, err := url.Parse("http://" + target)
	require.NoError(t, err)
	f := &front{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		r.Body = &slowBody{r: r.Body, rate: rate, gone: &f.gone}
		return nil
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.gone.Load() {
			panic(http.ErrAbortHandler)
		}
		rp.ServeHTTP(w, r)
	}))
	f.host = strings.TrimPrefix(f.srv.URL, "http://")
	t.Cleanup(func() {
		f.vanish()
		f.srv.Close()
	})
	return f
}

// vanish takes the registry away: new connections are refused, open ones cut.
func (f *front) vanish() {
	f.gone.Store(true)
	_ = f.srv.Listener.Close()
	f.srv.CloseClientConnections()
}

type slowBody struct {
	r    io.ReadCloser
	rate int64
	gone *atomic.Bool
}

func (b *slowBody) Read(p []byte) (int, error) {
	if b.gone.Load() {
		return 0, errors.New("registry gone")
	}
	if int64(len(p)) > b.rate/10 {
		p = p[:b.rate/10]
	}
	n, err := b.r.Read(p)
	time.Sleep(time.Duration(int64(n) * int64(time.Second) / b.rate))
	return n, err
}

func (b *slowBody) Close() error { return b.r.Close() }

// lazyBehindFront caches the blob image, then starts it lazily on a fresh
// host through a front of the proxy throttled to rate.
func lazyBehindFront(t *testing.T, project string, rate int64) (*env, *freshRunner, *front, *imagecache.Result) {
	t.Helper()
	e := newEnv(t)
	ws := e.workspace(map[string]string{".devcontainer/hello/install.sh": blobInstall})
	cold := e.runner("cold")
	_, err := cold.get(t, ws, project, contract.PurposeCreate)
	require.NoError(t, err, cold.logs.String())

	f := newFront(t, e.proxy.host, rate)
	host := e.freshHost(filepath.Join(shortDir(t), "h"))
	warm := e.onHost("warm", host, true)
	warm.cache.ProxyHost = f.host
	warm.cache.Credentials = hostOverride{e.proxy, f.host}
	hit, err := warm.get(t, ws, project, contract.PurposeCreate)
	require.NoError(t, err, warm.logs.String()+host.Plugin.Log())
	require.Equal(t, imagecache.PullLazy, hit.Pull.Mode, "%+v", hit.Pull.Layers)
	return e, warm, f, hit
}

// TestLazyStartRegistryGoneMidCommand: the registry vanishes while a lazily
// started environment runs; its command reading what was not fetched yet
// gets an I/O error, within a bounded time, and never wrong bytes. pipefail:
// the command's status is cat's, not wc's (ctr keeps stderr only on failure).
func TestLazyStartRegistryGoneMidCommand(t *testing.T) {
	_, warm, f, hit := lazyBehindFront(t, "gone", 1<<20)
	// A first command fetches what the shell needs (busybox, ~2 MB at the
	// front's 1 MiB/s), so the registry goes while the second one sleeps,
	// not while its shell is still being exec'ed.
	out, err := warm.run(t, hit.Image, "sh", "-c", "cat /etc/greeting")
	require.NoError(t, err, out)
	go func() {
		time.Sleep(2 * time.Second)
		f.vanish()
	}()
	t0 := time.Now()
	out, err = warm.run(t, hit.Image, "sh", "-c", "set -o pipefail; cat /etc/greeting; sleep 3; cat /opt-blob | wc -c")
	took := time.Since(t0)
	t.Logf("after %v: %v\n%s", took.Round(time.Millisecond), err, out)
	require.Error(t, err, "the command read a file the registry could no longer serve")
	assert.Contains(t, out, "hi", "what was fetched before still reads")
	assert.Contains(t, out, "Input/output error")
	assert.NotContains(t, out, "33554432", "the whole blob can not have been read")
	assert.Less(t, took, 3*time.Minute, "bounded by the fetch timeout")
}

// TestLazyStartRegistryGoneBeforeStart: with the registry gone before the
// environment's container starts, the start fails naming the image and the
// layer that cannot be served, within a bounded time.
func TestLazyStartRegistryGoneBeforeStart(t *testing.T) {
	_, warm, f, hit := lazyBehindFront(t, "gone2", 1<<20)
	f.vanish()
	t0 := time.Now()
	out, err := warm.run(t, hit.Image, "cat", "/etc/greeting")
	took := time.Since(t0)
	t.Logf("after %v: %v\n%s", took.Round(time.Millisecond), err, out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "of image "+hit.Image)
	var named bool
	for _, l := range hit.Pull.Layers {
		named = named || strings.Contains(err.Error(), "layer "+l.Digest)
	}
	assert.True(t, named, "the error names the layer: %v", err)
	assert.Less(t, took, 3*time.Minute, "bounded by the fetch timeout")
}

// TestLazyStartCorruptedChunk: a byte flipped in the registry's copy of a
// layer (in the middle of a file's chunk, past what the mount verifies up
// front) is a digest error when the file is read lazily: the command fails
// with an I/O error and never reads wrong bytes.
func TestLazyStartCorruptedChunk(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(map[string]string{".devcontainer/hello/install.sh": blobInstall})
	cold := e.runner("cold")
	res, err := cold.get(t, ws, "corrupt", contract.PurposeCreate)
	require.NoError(t, err, cold.logs.String())

	// The largest layer holds /opt-blob; flip a byte in its middle, in the
	// proxy's embedded registry storage.
	creds, err := e.proxy.Issue(t.Context(), "corrupt", contract.PurposeRebuild)
	require.NoError(t, err)
	layer := largestLayer(t, res.Image, creds)
	data := blobFile(t, e.proxy.svc.Config.Server.StateDir, layer)
	fh, err := os.OpenFile(data, os.O_RDWR, 0)
	require.NoError(t, err)
	st, err := fh.Stat()
	require.NoError(t, err)
	b := make([]byte, 1)
	_, err = fh.ReadAt(b, st.Size()/2)
	require.NoError(t, err)
	b[0] ^= 0xff
	_, err = fh.WriteAt(b, st.Size()/2)
	require.NoError(t, err)
	require.NoError(t, fh.Close())

	host := e.freshHost(filepath.Join(shortDir(t), "h"))
	warm := e.onHost("warm", host, true)
	hit, err := warm.get(t, ws, "corrupt", contract.PurposeCreate)
	require.NoError(t, err, warm.logs.String()+host.Plugin.Log())
	require.Equal(t, imagecache.PullLazy, hit.Pull.Mode, "the TOC is intact: the layer mounts lazily")

	out, err := warm.run(t, hit.Image, "sh", "-c", "set -o pipefail; cat /etc/greeting; cat /opt-blob | wc -c")
	t.Logf("%v\n%s", err, out)
	require.Error(t, err, "the corrupted chunk must not be served")
	assert.Contains(t, out, "Input/output error")
	assert.NotContains(t, out, "33554432", "no wrong bytes: the whole file was never read")
}

// largestLayer returns the digest of ref's largest layer.
func largestLayer(t *testing.T, ref string, creds *imagecache.HostCredentials) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	require.NoError(t, err)
	img, err := remote.Image(r, remote.WithAuth(&authn.Basic{Username: creds.Username, Password: creds.Password}), remote.WithContext(t.Context()))
	require.NoError(t, err)
	m, err := img.Manifest()
	require.NoError(t, err)
	var best v1.Descriptor
	for _, l := range m.Layers {
		if l.Size > best.Size {
			best = l
		}
	}
	return best.Digest.String()
}

// blobFile finds a blob's data file in a distribution filesystem storage
// under root.
func blobFile(t *testing.T, root, dgst string) string {
	t.Helper()
	hex := strings.TrimPrefix(dgst, "sha256:")
	var found string
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "data" && filepath.Base(filepath.Dir(p)) == hex && strings.Contains(p, "/blobs/") {
			found = p
		}
		return err
	}))
	require.NotEmpty(t, found, "blob %s under %s", dgst, root)
	return found
}
