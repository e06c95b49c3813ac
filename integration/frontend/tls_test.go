package frontend

import (
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/tlsfiles"
)

// tlsClient trusts the stack's private CA, for pushing to its TLS registry.
func tlsClient(t *testing.T, s *testenv.Stack) *http.Client {
	t.Helper()
	pool, err := tlsfiles.CertPool(s.TLSCA)
	require.NoError(t, err)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// TestOCIFeatureFromTLSRegistry runs the frontend from its image inside
// buildkitd and installs an OCI Feature from the stack's TLS registry, whose
// certificate comes from a private CA. The manifest is fetched in the
// frontend's own build step: without the CA (the image's Debian bundle does
// not hold it) the build fails on the certificate; with the CA given as the
// DEVCACHE_REGISTRY_CA_SECRET build secret it succeeds (the layer comes
// through buildkitd, which trusts the CA by its registry configuration).
func TestOCIFeatureFromTLSRegistry(t *testing.T) {
	s := testenv.Get(t)
	fe := testFrontendImage(t, s)
	pushFeatureWith(t, tlsClient(t, s), "https", s.TLSRegistry, "devcache-test/tls/tlsfeat", "1", colorFeature("tlsfeat"))
	dir := writeFiles(t, map[string]string{
		".devcontainer/devcontainer.json": `{"image": "` + s.BusyboxImage() + `", "features": {"` +
			s.TLSRegistry + `/devcache-test/tls/tlsfeat:1": {"color": "over-tls"}}}`,
	})
	build := func(extra ...string) (string, error) {
		out := filepath.Join(t.TempDir(), "root")
		args := append([]string{"build", "--frontend", "gateway.v0", "--opt", "source=" + fe,
			"--local", "context=" + dir, "--local", "dockerfile=" + filepath.Join(dir, ".devcontainer"),
			"--opt", "filename=devcontainer.json", "--output", "type=local,dest=" + out}, extra...)
		b, err := s.Command("buildctl", args...).CombinedOutput()
		if err != nil {
			return string(b), err
		}
		return out, nil
	}

	msg, err := build()
	require.Error(t, err, "the private CA is not in the image's bundle")
	assert.Contains(t, msg, "certificate signed by unknown authority")
	assert.Contains(t, msg, s.TLSRegistry)

	root, err := build("--secret", "id=regca,src="+s.TLSCA, "--opt", "build-arg:DEVCACHE_REGISTRY_CA_SECRET=regca")
	require.NoError(t, err, root)
	dt, err := os.ReadFile(filepath.Join(root, "opt/tlsfeat"))
	require.NoError(t, err)
	assert.Equal(t, "over-tls\n", string(dt))
}
