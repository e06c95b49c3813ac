package frontend

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/integration/testenv"
)

// retag points registry/repo:tag at a variant of the image at from: the
// same layers, a config with MARK=mark added to its env.
func retag(t *testing.T, registry, repo, from, tag, mark string) {
	t.Helper()
	do := func(method, path, ctype string, body []byte, accept string) []byte {
		req, err := http.NewRequest(method, fmt.Sprintf("http://%s/v2/%s%s", registry, repo, path), bytes.NewReader(body))
		require.NoError(t, err)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		dt, _ := io.ReadAll(resp.Body)
		require.Less(t, resp.StatusCode, 300, "%s %s: %s", method, path, dt)
		if loc := resp.Header.Get("Location"); method == http.MethodPost {
			return []byte(loc)
		}
		return dt
	}
	var m ocispecs.Manifest
	require.NoError(t, json.Unmarshal(do(http.MethodGet, "/manifests/"+from, "", nil, ocispecs.MediaTypeImageManifest+",application/vnd.docker.distribution.manifest.v2+json"), &m))
	var cfg map[string]any
	require.NoError(t, json.Unmarshal(do(http.MethodGet, "/blobs/"+m.Config.Digest.String(), "", nil, ""), &cfg))
	c := cfg["config"].(map[string]any)
	c["Env"] = append(c["Env"].([]any), "MARK="+mark)
	cdt, err := json.Marshal(cfg)
	require.NoError(t, err)
	d := digest.FromBytes(cdt)
	loc := string(do(http.MethodPost, "/blobs/uploads/", "", nil, ""))
	sep := "?"
	if bytes.Contains([]byte(loc), []byte("?")) {
		sep = "&"
	}
	req, err := http.NewRequest(http.MethodPut, loc+sep+"digest="+d.String(), bytes.NewReader(cdt))
	require.NoError(t, err)
	if req.URL.Host == "" {
		req.URL.Scheme, req.URL.Host = "http", registry
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	m.Config.Digest, m.Config.Size = d, int64(len(cdt))
	mdt, err := json.Marshal(m)
	require.NoError(t, err)
	mt := m.MediaType
	if mt == "" {
		mt = ocispecs.MediaTypeImageManifest
	}
	do(http.MethodPut, "/manifests/"+tag, mt, mdt, "")
}

// TestFromTagMoveKeepsKey documents the key's rule: a base image named in
// the Dockerfile's FROM is not an input, so moving its tag changes the
// image but not the key; the same move of a directly referenced "image"
// changes the key.
func TestFromTagMoveKeepsKey(t *testing.T) {
	s := testenv.Get(t)
	tag := fmt.Sprintf("moving-%d", time.Now().UnixNano())
	retag(t, s.Registry, "base/busybox", "latest", tag, "one")
	base := s.Registry + "/base/busybox:" + tag

	df := writeFiles(t, map[string]string{
		".devcontainer/Dockerfile":        "FROM " + base + "\n",
		".devcontainer/devcontainer.json": `{"build": {"dockerfile": "Dockerfile"}}`,
	})
	im := writeFiles(t, map[string]string{
		".devcontainer/devcontainer.json": `{"image": "` + base + `"}`,
	})
	keys := func() (string, string, []string) {
		a, err := build(t, s, df, buildOpt{})
		require.NoError(t, err)
		b, err := build(t, s, im, buildOpt{})
		require.NoError(t, err)
		return a.config.Config.Labels[cachekey.LabelKey], b.config.Config.Labels[cachekey.LabelKey], a.config.Config.Env
	}
	dfKey1, imKey1, env1 := keys()
	assert.Contains(t, env1, "MARK=one")

	retag(t, s.Registry, "base/busybox", "latest", tag, "two")
	dfKey2, imKey2, env2 := keys()
	assert.Contains(t, env2, "MARK=two", "the Dockerfile build sees the moved tag")
	assert.Equal(t, dfKey1, dfKey2, "a FROM tag is not a key input")
	assert.NotEqual(t, imKey1, imKey2, "the digest of a directly referenced image is")
}
