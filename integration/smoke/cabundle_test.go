package smoke

import (
	"archive/tar"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/tlsfiles"
)

// debianCABundle is the bundle Debian's ca-certificates package installs;
// the images carry it at the same path, Go's default on Linux.
const debianCABundle = "/etc/ssl/certs/ca-certificates.crt"

// TestImagesCarryCABundle builds the three images (hack/images --push) and
// checks what a user of a FROM scratch image would: each holds Debian's CA
// bundle at /etc/ssl/certs/ca-certificates.crt, byte for byte. Then it runs
// the frontend image's binary in containerd against the stack's TLS
// registry (private CA): it fails on the certificate as built, and succeeds
// when the bundle file at that path holds the CA (so the binary reads the
// bundle there), with SSL_CERT_FILE and with SSL_CERT_DIR.
func TestImagesCarryCABundle(t *testing.T) {
	s := testenv.Get(t)
	want, err := os.ReadFile(debianCABundle)
	require.NoError(t, err, "Debian's ca-certificates package")
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(want))

	cmd := exec.Command(filepath.Join(s.RepoRoot, "hack", "images"), "--push", "frontend", "proxy", "snapshotter")
	cmd.Dir = s.RepoRoot
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "hack/images:\n%s", out)
	for _, img := range []string{"frontend", "proxy", "snapshotter"} {
		ref := s.Registry + "/devcache/" + img + ":dev"
		got, err := fileInImage(ref, "etc/ssl/certs/ca-certificates.crt")
		require.NoError(t, err, ref)
		assert.True(t, bytes.Equal(want, got), "%s: the bundle differs from Debian's (%d bytes, want %d)", ref, len(got), len(want))
	}

	// A manifest on the TLS registry for the frontend binary to fetch.
	target := s.TLSRegistry + "/devcache-test/cabundle/probe:1"
	pushProbe(t, s, "devcache-test/cabundle/probe", "1")
	fe := s.Registry + "/devcache/frontend:dev"
	ctr := func(args ...string) (string, error) {
		c := s.Command("ctr", append([]string{"--address", s.ContainerdAddress, "--namespace", "devcache-cabundle"}, args...)...)
		b, err := c.CombinedOutput()
		return string(b), err
	}
	o, err := ctr("images", "pull", "--hosts-dir", filepath.Join(s.State, "containerd", "certs.d"), fe)
	require.NoError(t, err, o)
	run := func(env []string, mount string) (string, error) {
		args := []string{"run", "--rm", "--net-host"}
		for _, e := range env {
			args = append(args, "--env", e)
		}
		if mount != "" {
			args = append(args, "--mount", "type=bind,src="+s.TLSCA+",dst="+mount+",options=rbind:ro")
		}
		id := fmt.Sprintf("cabundle-%d", time.Now().UnixNano())
		return ctr(append(args, fe, id, "/bin/devcache-frontend", "resolve-feature-manifest", "--out", "/dev/stdout", target)...)
	}

	o, err = run(nil, "")
	require.Error(t, err, "the private CA is not in Debian's bundle: %s", o)
	assert.Contains(t, o, "certificate signed by unknown authority")
	for name, c := range map[string]struct {
		env   []string
		mount string
	}{
		"the bundle at its path": {mount: debianCABundle},
		"SSL_CERT_FILE":          {env: []string{"SSL_CERT_FILE=/run/ca/ca.crt"}, mount: "/run/ca/ca.crt"},
		"SSL_CERT_DIR":           {env: []string{"SSL_CERT_DIR=/run/ca"}, mount: "/run/ca/ca.crt"},
	} {
		o, err := run(c.env, c.mount)
		require.NoError(t, err, "%s: %s", name, o)
		assert.Contains(t, o, `"schemaVersion":2`, name)
	}
}

// fileInImage reads one file from the layers of a single-platform image in
// a plain-HTTP registry (the last layer holding it wins).
func fileInImage(ref, path string) ([]byte, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return nil, err
	}
	img, err := remote.Image(r)
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	var found []byte
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			return nil, err
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rc.Close()
				return nil, err
			}
			if strings.TrimPrefix(h.Name, "./") == path {
				if found, err = io.ReadAll(tr); err != nil {
					rc.Close()
					return nil, err
				}
			}
		}
		rc.Close()
	}
	if found == nil {
		return nil, fmt.Errorf("%s: no %s in its layers", ref, path)
	}
	return found, nil
}

// pushProbe puts a minimal OCI manifest (an empty config) on the stack's
// TLS registry.
func pushProbe(t *testing.T, s *testenv.Stack, repo, tag string) {
	t.Helper()
	pool, err := tlsfiles.CertPool(s.TLSCA)
	require.NoError(t, err)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	base := "https://" + s.TLSRegistry + "/v2/" + repo
	const emptyDigest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" // "{}"
	resp, err := c.Post(base+"/blobs/uploads/", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	loc = (&url.URL{Scheme: "https", Host: s.TLSRegistry}).ResolveReference(loc)
	q := loc.Query()
	q.Set("digest", emptyDigest)
	loc.RawQuery = q.Encode()
	req, err := http.NewRequest(http.MethodPut, loc.String(), strings.NewReader("{}"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	m := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"` +
		emptyDigest + `","size":2},"layers":[]}`
	req, err = http.NewRequest(http.MethodPut, base+"/manifests/"+tag, strings.NewReader(m))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	resp, err = c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
}
