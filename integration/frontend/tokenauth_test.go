package frontend

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

// tokenRegistry fronts upstream with the Docker token protocol, like ghcr.io
// or the devcache proxy: /v2/ answers 401 with a Bearer challenge; /token
// issues a token anonymously (user == "") or for Basic user:pass.
func tokenRegistry(t *testing.T, upstream, user, pass string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	up, err := url.Parse("http://" + upstream)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(up)
	const token = "test-token"
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); user != "" && (!ok || u != user || p != pass) {
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"token": token, "access_token": token})
	})
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			scope := ""
			if parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/v2/"), "/manifests/", 2); len(parts) == 2 {
				scope = `,scope="repository:` + parts[0] + `:pull"`
			} else if parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/v2/"), "/blobs/", 2); len(parts) == 2 {
				scope = `,scope="repository:` + parts[0] + `:pull"`
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="http://`+addr+`/token",service="test"`+scope)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		r.Header.Del("Authorization")
		proxy.ServeHTTP(w, r)
	})
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	srv.Start()
	t.Cleanup(srv.Close)
	return addr
}

// TestOCIFeatureTokenAuthFromImage runs the frontend from its image against
// registries that speak the token protocol: anonymously (public Features,
// as on ghcr.io) and with credentials (a private registry, the devcache
// proxy), given as a docker config build secret for the manifest and the
// client's docker login for the layer.
func TestOCIFeatureTokenAuthFromImage(t *testing.T) {
	s := testenv.Get(t)
	fe := testFrontendImage(t, s)
	pushFeature(t, s.Registry, "devcache-test/public/pubfeat", "1", colorFeature("pubfeat"))
	pushFeature(t, s.Registry, "devcache-test/private/privfeat", "1", colorFeature("privfeat"))
	public := tokenRegistry(t, s.Registry, "", "")
	private := tokenRegistry(t, s.Registry, "dev", "s3cret")

	dir := writeFiles(t, map[string]string{
		".devcontainer/devcontainer.json": `{"image": "` + s.BusyboxImage() + `", "features": {` +
			`"` + public + `/devcache-test/public/pubfeat:1": {"color": "public-green"}, ` +
			`"` + private + `/devcache-test/private/privfeat:1": {"color": "private-purple"}}}`,
	})
	auth := base64.StdEncoding.EncodeToString([]byte("dev:s3cret"))
	dockerCfg := t.TempDir()
	cfgJSON := `{"auths": {"` + private + `": {"auth": "` + auth + `"}}}`
	require.NoError(t, os.WriteFile(filepath.Join(dockerCfg, "config.json"), []byte(cfgJSON), 0o600))

	build := func(extra ...string) (string, error) {
		out := filepath.Join(t.TempDir(), "root")
		args := append([]string{"build", "--frontend", "gateway.v0", "--opt", "source=" + fe,
			"--local", "context=" + dir, "--local", "dockerfile=" + filepath.Join(dir, ".devcontainer"),
			"--opt", "filename=devcontainer.json", "--output", "type=local,dest=" + out}, extra...)
		cmd := s.Command("buildctl", args...)
		cmd.Env = append(cmd.Env, "DOCKER_CONFIG="+dockerCfg)
		b, err := cmd.CombinedOutput()
		if err != nil {
			return string(b), err
		}
		return out, nil
	}
	msg, err := build()
	require.Error(t, err, "the private Feature needs credentials")
	assert.Contains(t, msg, private)

	root, err := build("--secret", "id=regauth,src="+filepath.Join(dockerCfg, "config.json"),
		"--opt", "build-arg:DEVCACHE_REGISTRY_AUTH_SECRET=regauth")
	require.NoError(t, err, root)
	for file, want := range map[string]string{"opt/pubfeat": "public-green\n", "opt/privfeat": "private-purple\n"} {
		dt, err := os.ReadFile(filepath.Join(root, file))
		require.NoError(t, err)
		assert.Equal(t, want, string(dt))
	}
}

// TestOCIFeatureTokenAuthInProcess: in-process the frontend fetches the
// manifest from the client's process with the same registry client, so a
// token-protocol registry works there too.
func TestOCIFeatureTokenAuthInProcess(t *testing.T) {
	s := testenv.Get(t)
	pushFeature(t, s.Registry, "devcache-test/public/pubfeat", "1", colorFeature("pubfeat"))
	public := tokenRegistry(t, s.Registry, "", "")
	dir := writeFiles(t, map[string]string{
		".devcontainer/devcontainer.json": `{"image": "` + s.BusyboxImage() + `", "features": {"` + public + `/devcache-test/public/pubfeat:1": {"color": "in-process"}}}`,
	})
	img, err := build(t, s, dir, buildOpt{})
	require.NoError(t, err)
	assert.Equal(t, "in-process\n", img.file(t, "opt/pubfeat"))
}
