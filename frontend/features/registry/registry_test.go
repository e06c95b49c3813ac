package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const manifest = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.devcontainers","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`

// A registry with anonymous token auth, serving one manifest at ns/f:1.
func testRegistry(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/token":
			_, _ = w.Write([]byte(`{"token":"t"}`))
		case r.Header.Get("Authorization") != "Bearer t":
			w.Header().Set("WWW-Authenticate", `Bearer realm="http://`+r.Host+`/token",service="s"`)
			w.WriteHeader(http.StatusUnauthorized)
		case r.URL.Path == "/v2/":
			w.WriteHeader(http.StatusOK)
		case r.URL.Path == "/v2/ns/f/manifests/1" || r.URL.Path == "/v2/ns/f/manifests/"+digest.FromString(manifest).String():
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Docker-Content-Digest", digest.FromString(manifest).String())
			_, _ = w.Write([]byte(manifest))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestFetchManifest(t *testing.T) {
	reg := testRegistry(t)
	ctx := context.Background()
	dt, d, err := FetchManifest(ctx, reg+"/ns/f:1", Options{})
	require.NoError(t, err)
	assert.Equal(t, manifest, string(dt)) //nolint:testifylint // the bytes as served
	assert.Equal(t, digest.FromString(manifest), d)

	_, d2, err := FetchManifest(ctx, reg+"/ns/f@"+d.String(), Options{})
	require.NoError(t, err)
	assert.Equal(t, d, d2)

	_, _, err = FetchManifest(ctx, reg+"/ns/missing:1", Options{})
	require.ErrorIs(t, err, errdefs.ErrNotFound)
}
