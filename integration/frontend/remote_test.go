package frontend

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/integration/testenv"
)

func colorFeature(id string) map[string]string {
	return map[string]string{
		"devcontainer-feature.json": `{"id": "` + id + `", "version": "1.2.3", "options": {"color": {"type": "string", "default": "red"}}, "containerEnv": {"` + id + `_INSTALLED": "yes"}}`,
		"install.sh":                "#!/bin/sh\nset -e\nmkdir -p /opt\necho \"$COLOR\" > /opt/" + id + "\n",
	}
}

// loopback serves h on a free 127.0.0.1 port until the test ends.
func loopback(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return l.Addr().String()
}

func TestTarballFeatureAndLockfile(t *testing.T) {
	s := testenv.Get(t)
	tgz := featureTar(t, colorFeature("tarfeat"), true)
	addr := loopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/f/devcontainer-feature-tarfeat.tgz" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(tgz)
	}))
	ref := "http://" + addr + "/f/devcontainer-feature-tarfeat.tgz"
	files := map[string]string{
		".devcontainer/devcontainer.json": `{"image": "` + s.BusyboxImage() + `", "features": {"` + ref + `": {"color": "green"}}}`,
	}
	dir := writeFiles(t, files)

	img, err := build(t, s, dir, buildOpt{})
	require.NoError(t, err)
	assert.Equal(t, "green\n", img.file(t, "opt/tarfeat"))
	assert.Contains(t, img.config.Config.Env, "tarfeat_INSTALLED=yes")
	_, inputs, err := cachekey.FromLabels(img.config.Config.Labels)
	require.NoError(t, err)
	assert.Contains(t, inputs, cachekey.Input{Name: "feature:" + ref, Value: digest.FromBytes(tgz).String()}, "the tarball's sha256 is the key input")

	// A matching lockfile is honoured.
	lock := func(integrity string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, ".devcontainer/devcontainer-lock.json"), []byte(fmt.Sprintf(
			`{"features": {%q: {"version": "1.2.3", "resolved": %q, "integrity": %q}}}`, ref, ref, integrity)), 0o644))
	}
	lock(digest.FromBytes(tgz).String())
	_, err = build(t, s, dir, buildOpt{})
	require.NoError(t, err)

	// A digest mismatch is an error.
	lock(digest.FromString("something else").String())
	_, err = build(t, s, dir, buildOpt{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "mismatch")
}

func TestOCIFeature(t *testing.T) {
	s := testenv.Get(t)
	dgst := pushFeature(t, s.Registry, "devcache-test/features/ocifeat", "1", colorFeature("ocifeat"))
	ref := s.Registry + "/devcache-test/features/ocifeat:1"
	dir := writeFiles(t, map[string]string{
		".devcontainer/devcontainer.json": `{"image": "` + s.BusyboxImage() + `", "features": {"` + ref + `": {"color": "blue"}, "` +
			s.Registry + `/devcache-test/features/ocifeat@` + dgst.String() + `": {}}}`,
	})
	img, err := build(t, s, dir, buildOpt{})
	require.NoError(t, err)
	// Both references name the same manifest; with different options they
	// install twice, fewer options first (the CLI's round sort): red, then blue.
	assert.Equal(t, "blue\n", img.file(t, "opt/ocifeat"))
	_, inputs, err := cachekey.FromLabels(img.config.Config.Labels)
	require.NoError(t, err)
	assert.Contains(t, inputs, cachekey.Input{Name: "feature:" + ref, Value: dgst.String()}, "the manifest digest is the key input")

	// Moving the tag changes the image and the key: the tag is re-resolved
	// on every build.
	moved := colorFeature("ocifeat")
	moved["install.sh"] = "#!/bin/sh\nset -e\nmkdir -p /opt\necho \"moved $COLOR\" > /opt/ocifeat\n"
	dgst2 := pushFeature(t, s.Registry, "devcache-test/features/ocifeat", "1", moved)
	require.NotEqual(t, dgst, dgst2)
	img2, err := build(t, s, dir, buildOpt{})
	require.NoError(t, err)
	assert.Equal(t, "moved blue\n", img2.file(t, "opt/ocifeat"))
	_, inputs2, err := cachekey.FromLabels(img2.config.Config.Labels)
	require.NoError(t, err)
	assert.Contains(t, inputs2, cachekey.Input{Name: "feature:" + ref, Value: dgst2.String()})

	// A lockfile pins the tag to the first digest again.
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".devcontainer/devcontainer-lock.json"), []byte(fmt.Sprintf(
		`{"features": {%q: {"version": "1.2.3", "resolved": %q, "integrity": %q}}}`, ref, s.Registry+"/devcache-test/features/ocifeat@"+dgst.String(), dgst)), 0o644))
	img3, err := build(t, s, dir, buildOpt{})
	require.NoError(t, err)
	assert.Equal(t, "blue\n", img3.file(t, "opt/ocifeat"), "the pinned manifest is installed, not the moved tag")
}

// TestOCIFeatureWithCredentials serves the Feature through a loopback
// registry front that requires Basic credentials: the manifest is fetched
// with the build secret named in DEVCACHE_FEATURE_AUTH, the layer with the
// session's docker credentials.
func TestOCIFeatureWithCredentials(t *testing.T) {
	s := testenv.Get(t)
	pushFeature(t, s.Registry, "devcache-test/private/secretfeat", "1", colorFeature("secretfeat"))
	up, err := url.Parse("http://" + s.Registry)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(up)
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("dev:s3cret"))
	private := loopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != want {
			w.Header().Set("WWW-Authenticate", `Basic realm="devcache-test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	ref := private + "/devcache-test/private/secretfeat:1"
	dir := writeFiles(t, map[string]string{
		".devcontainer/devcontainer.json": `{"image": "` + s.BusyboxImage() + `", "features": {"` + ref + `": {"color": "secret-purple"}}}`,
	})

	_, err = build(t, s, dir, buildOpt{})
	require.Error(t, err, "without credentials the private Feature is refused")

	img, err := build(t, s, dir, buildOpt{
		attrs:   map[string]string{"build-arg:DEVCACHE_FEATURE_AUTH": private + "=feature-auth"},
		secrets: map[string][]byte{"feature-auth": []byte(want)},
		auths:   map[string]string{private: "dev:s3cret"},
	})
	require.NoError(t, err)
	assert.Equal(t, "secret-purple\n", img.file(t, "opt/secretfeat"))
}
