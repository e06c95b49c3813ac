package proxy

import (
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/backend"
	"github.com/devcache/devcache/registryproxy/config"
)

// s3Storage is the stack's SeaweedFS bucket (DEVCACHE_STACK_S3=1 hack/stack up).
func s3Storage(t testing.TB) *config.S3 {
	ep := os.Getenv("DEVCACHE_S3_ENDPOINT")
	if ep == "" {
		t.Skip("DEVCACHE_S3_ENDPOINT is unset: start the stack with DEVCACHE_STACK_S3=1 hack/stack up (hack/test does)")
	}
	return &config.S3{Endpoint: ep, Region: os.Getenv("AWS_REGION"), Bucket: os.Getenv("DEVCACHE_S3_BUCKET"),
		AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		ForcePathStyle: true, RootDirectory: "/" + t.Name()}
}

// TestEmbeddedS3: the embedded backend over the stack's SeaweedFS: an image
// pushed through the proxy is stored in the bucket and pulled back.
func TestEmbeddedS3(t *testing.T) {
	st := s3Storage(t)
	p := startProxy(t, func(c *config.Config) { c.Backend.Storage.S3 = st })
	_, isObjects := p.svc.Backend.(backend.Objects)
	require.True(t, isObjects, "the S3 backend relays blobs (no files)")
	cred := p.credential("alpha", contract.PurposeCreate)
	tok := p.pushToken(cred, repoA)
	m, d := p.image(tok, repoA, "s3")
	require.Equal(t, http.StatusCreated, p.putManifest(tok, repoA, "s3", m).Status)

	// A second proxy over the same bucket with a fresh state directory sees it.
	q := startProxy(t, func(c *config.Config) { c.Auth.KeysFile = p.svc.Config.Auth.KeysFile; c.Backend.Storage.S3 = st })
	tq := q.pushToken(cred, repoA)
	r := q.do(http.MethodGet, "/v2/"+repoA+"/manifests/s3", tq, nil, map[string]string{"Accept": manifestAccept})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	assert.Equal(t, d.String(), r.Header.Get("Docker-Content-Digest"))
	assert.Equal(t, m, r.Body)
}
