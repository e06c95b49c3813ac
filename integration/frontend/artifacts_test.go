package frontend

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"
)

// featureTar packs Feature files as the reference CLI does (a plain tar
// with ./-prefixed entries), gzipped when gz is set.
func featureTar(t *testing.T, files map[string]string, gz bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var tw *tar.Writer
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	} else {
		tw = tar.NewWriter(&buf)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: "./" + n, Mode: 0o755, Size: int64(len(files[n])), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(files[n]))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	if zw != nil {
		require.NoError(t, zw.Close())
	}
	return buf.Bytes()
}

// pushFeature pushes a Feature artifact (config application/vnd.devcontainers,
// one application/vnd.devcontainers.layer.v1+tar layer, the metadata
// annotation) to a plain-HTTP registry and returns the manifest digest.
func pushFeature(t *testing.T, registry, repo, tag string, files map[string]string) digest.Digest {
	t.Helper()
	return pushFeatureWith(t, http.DefaultClient, "http", registry, repo, tag, files)
}

// pushFeatureWith is pushFeature with an HTTP client and scheme (https for
// the stack's TLS registry).
func pushFeatureWith(t *testing.T, client *http.Client, scheme, registry, repo, tag string, files map[string]string) digest.Digest {
	t.Helper()
	layer := featureTar(t, files, false)
	config := []byte("{}")
	put := func(dt []byte) digest.Digest {
		d := digest.FromBytes(dt)
		resp, err := client.Post(fmt.Sprintf("%s://%s/v2/%s/blobs/uploads/", scheme, registry, repo), "", nil)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		if !loc.IsAbs() {
			loc = &url.URL{Scheme: scheme, Host: registry, Path: loc.Path, RawQuery: loc.RawQuery}
		}
		q := loc.Query()
		q.Set("digest", d.String())
		loc.RawQuery = q.Encode()
		req, err := http.NewRequest(http.MethodPut, loc.String(), bytes.NewReader(dt))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err = client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		return d
	}
	m := ocispecs.Manifest{
		MediaType: ocispecs.MediaTypeImageManifest,
		Config:    ocispecs.Descriptor{MediaType: "application/vnd.devcontainers", Digest: put(config), Size: int64(len(config))},
		Layers: []ocispecs.Descriptor{{
			MediaType:   "application/vnd.devcontainers.layer.v1+tar",
			Digest:      put(layer),
			Size:        int64(len(layer)),
			Annotations: map[string]string{"org.opencontainers.image.title": "devcontainer-feature-x.tgz"},
		}},
		Annotations: map[string]string{
			"dev.containers.metadata": files["devcontainer-feature.json"],
			"com.github.package.type": "devcontainer_feature",
		},
	}
	m.SchemaVersion = 2
	dt, err := json.Marshal(m)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPut, fmt.Sprintf("%s://%s/v2/%s/manifests/%s", scheme, registry, repo, tag), bytes.NewReader(dt))
	require.NoError(t, err)
	req.Header.Set("Content-Type", ocispecs.MediaTypeImageManifest)
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	return digest.FromBytes(dt)
}
