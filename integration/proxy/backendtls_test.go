package proxy

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/tlsfiles"
	"github.com/devcache/devcache/registryproxy/config"
	"github.com/devcache/devcache/registryproxy/service"
)

// TestRemoteBackendTLS runs the proxy in front of the stack's TLS registry,
// whose certificate comes from the stack's private CA: with backend.ca_file
// naming that CA an image pushed through the proxy lands in the backend;
// without it the proxy refuses the push (the backend is not trusted) and
// nothing is stored.
func TestRemoteBackendTLS(t *testing.T) {
	s := testenv.Get(t)
	var rb [4]byte
	_, _ = rand.Read(rb[:])
	runner := "tls" + hex.EncodeToString(rb[:])
	backendOf := func(caFile string) func(*config.Config) {
		return func(c *config.Config) {
			c.Backend.Type = "registry"
			c.Backend.URL = "https://" + s.TLSRegistry
			c.Backend.CAFile = caFile
			c.Backend.Repository = "devcache-it/{runner}/projects/{project}/{repository}"
			c.Backend.Runner = runner
			c.Backend.MetaRepository = "devcache-it/{runner}/push-records"
		}
	}
	const repo = "projects/tlsbackend/image-build"
	pool, err := tlsfiles.CertPool(s.TLSCA)
	require.NoError(t, err)
	direct := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	inBackend := func(ref string) int {
		req, _ := http.NewRequest(http.MethodHead, "https://"+s.TLSRegistry+"/v2/devcache-it/"+runner+"/"+repo+"/manifests/"+ref, nil)
		req.Header.Set("Accept", manifestAccept)
		resp, err := direct.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}

	t.Run("without ca_file the backend is not trusted", func(t *testing.T) {
		p := startProxy(t, backendOf(""))
		tok := p.pushToken(p.credential("tlsbackend", contract.PurposeCreate), repo)
		r := p.do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/", tok, nil, nil)
		assert.GreaterOrEqual(t, r.Status, 500, "an untrusted backend must fail the upload: %s", r.Body)
		assert.Equal(t, http.StatusNotFound, inBackend("untrusted"))
	})

	t.Run("with ca_file", func(t *testing.T) {
		p := startProxy(t, backendOf(s.TLSCA))
		tok := p.pushToken(p.credential("tlsbackend", contract.PurposeCreate), repo)
		m, d := p.image(tok, repo, "tls-"+runner)
		require.Equal(t, http.StatusCreated, p.putManifest(tok, repo, "v1", m).Status)
		assert.Equal(t, http.StatusOK, inBackend(d.String()), "the manifest is in the TLS backend under the runner's prefix")
		got := p.do(http.MethodGet, "/v2/"+repo+"/manifests/v1", tok, nil, map[string]string{"Accept": manifestAccept})
		require.Equal(t, http.StatusOK, got.Status, string(got.Body))
		assert.Equal(t, m, got.Body)
	})

	t.Run("an unreadable ca_file is an error naming it", func(t *testing.T) {
		dir := t.TempDir()
		missing := filepath.Join(dir, "no-such-ca.crt")
		notPEM := filepath.Join(dir, "not-a-ca.crt")
		require.NoError(t, os.WriteFile(notPEM, []byte("hello\n"), 0o600))
		for _, f := range []string{missing, notPEM} {
			cfg := config.Default()
			cfg.Server.StateDir = t.TempDir()
			cfg.Server.AdminAddr, cfg.Auth.KeysFile = "", ""
			backendOf(f)(cfg)
			require.NoError(t, cfg.Finish())
			svc, err := service.New(t.Context(), cfg)
			if svc != nil {
				svc.Close()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "backend.ca_file: CA file "+f)
		}
	})
}
