package backend

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGARCredentials drives NewGARCredentials through Application Default
// Credentials: a service-account key whose token_uri is a local fake of
// Google's token endpoint; the registry sees "oauth2accesstoken" and the
// fetched access token, and the token is reused while valid.
func TestGARCredentials(t *testing.T) {
	var issued atomic.Int32
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		issued.Add(1)
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || r.PostForm.Get("assertion") == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"ya29.fake","token_type":"Bearer","expires_in":3600}`)
	}))
	defer tokenSrv.Close()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	sa, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "p", "private_key_id": "k1", "private_key": string(pemKey),
		"client_email": "proxy@p.iam.gserviceaccount.com", "client_id": "1", "token_uri": tokenSrv.URL,
	})
	file := filepath.Join(t.TempDir(), "sa.json")
	require.NoError(t, os.WriteFile(file, sa, 0o600))
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", file)

	var seen atomic.Value
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		seen.Store(u + ":" + p)
	}))
	defer registry.Close()
	src, err := NewGARCredentials(context.Background())
	require.NoError(t, err)
	r, err := NewRemote(RemoteOptions{URL: registry.URL, Credentials: src})
	require.NoError(t, err)
	for range 3 {
		resp := get(t, r, http.MethodGet, "/v2/p/repo/img/tags/list", nil)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	assert.Equal(t, "oauth2accesstoken:ya29.fake", seen.Load())
	assert.Equal(t, int32(1), issued.Load(), "the access token is reused until it expires")
}
