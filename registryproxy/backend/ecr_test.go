package backend

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestECRCredentials drives NewECRCredentials against a local fake of the
// ECR API (AWS JSON 1.1, SigV4-signed with environment credentials): the
// registry sees "AWS:<password>" and the token is reused until near expiry.
func TestECRCredentials(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	var calls atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("X-Amz-Target") != "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken" ||
			!strings.Contains(r.Header.Get("Authorization"), "Credential=AKIDTEST/") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		tok := base64.StdEncoding.EncodeToString([]byte("AWS:ecr-password"))
		_, _ = fmt.Fprintf(w, `{"authorizationData":[{"authorizationToken":%q,"expiresAt":%d,"proxyEndpoint":"https://123.dkr.ecr.eu-west-1.amazonaws.com"}]}`,
			tok, time.Now().Add(12*time.Hour).Unix())
	}))
	defer api.Close()
	var seen atomic.Value
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		seen.Store(u + ":" + p)
	}))
	defer registry.Close()

	src, err := NewECRCredentials(context.Background(), "eu-west-1", api.URL)
	require.NoError(t, err)
	r, err := NewRemote(RemoteOptions{URL: registry.URL, Credentials: src})
	require.NoError(t, err)
	for range 3 {
		resp := get(t, r, http.MethodHead, "/v2/gitpod-runner-r1/projects/p/image-build/manifests/k", nil)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	assert.Equal(t, "AWS:ecr-password", seen.Load())
	assert.Equal(t, int32(1), calls.Load(), "the authorization token is cached")
}
