package credentials

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/tlsfiles"
	"github.com/devcache/devcache/internal/tlsfiles/tlstest"
	"github.com/devcache/devcache/registryproxy/token"
)

// tlsAdmin serves the admin endpoint over TLS with the server certificate
// of ca, verifying client certificates with ca (mode as tls.ClientAuth).
func tlsAdmin(t *testing.T, ca *tlstest.CA, mode tls.ClientAuthType, auth Authenticator) string {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	ks, err := token.NewKeySet([]token.Key{{ID: "k", Private: priv}})
	require.NoError(t, err)
	srvPair := ca.Issue(t, "admin", tlstest.Options{})
	kp, err := tlsfiles.KeyPair(srvPair.CertFile, srvPair.KeyFile, time.Now())
	require.NoError(t, err)
	pool, err := tlsfiles.CertPool(ca.File)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(Handler(&Local{Authority: token.NewAuthority(ks, "iss", "svc"), DefaultTTL: 10 * time.Minute}, auth))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{kp}, ClientCAs: pool, ClientAuth: mode}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

func issue(t *testing.T, url, secret, ca, cert, key string) error {
	opts, err := TLSOptions(url, ca, cert, key)
	if err != nil {
		return err
	}
	_, err = NewClient(url, secret, opts...).Issue(context.Background(), Request{Project: "p1", Purpose: contract.PurposeRefresh})
	return err
}

func TestAdminClientCertificate(t *testing.T) {
	ca := tlstest.NewCA(t, "fleet")
	url := tlsAdmin(t, ca, tls.RequireAndVerifyClientCert, CertificateAuth{})
	runner := ca.Issue(t, "runner-1", tlstest.Options{Client: true})

	require.NoError(t, issue(t, url, "", ca.File, runner.CertFile, runner.KeyFile))

	// No client certificate: the handshake is refused.
	err := issue(t, url, "", ca.File, "", "")
	require.Error(t, err)
	assert.True(t, errdefs.IsUnauthorized(err), "%v", err)
	assert.Contains(t, err.Error(), "refused the client: no client certificate presented")

	// A certificate from another CA is refused; the error names its file.
	other := tlstest.NewCA(t, "elsewhere").Issue(t, "intruder", tlstest.Options{Client: true})
	err = issue(t, url, "", ca.File, other.CertFile, other.KeyFile)
	require.Error(t, err)
	assert.True(t, errdefs.IsUnauthorized(err), "%v", err)
	assert.Contains(t, err.Error(), other.CertFile)

	// An expired certificate is refused when it is loaded, by name...
	expired := ca.Issue(t, "runner-old", tlstest.Options{Client: true, NotAfter: time.Now().Add(-time.Minute)})
	err = issue(t, url, "", ca.File, expired.CertFile, expired.KeyFile)
	require.Error(t, err)
	assert.True(t, errdefs.IsFailedPrecondition(err), "%v", err)
	assert.Contains(t, err.Error(), expired.CertFile)
	assert.Contains(t, err.Error(), "expired")
	// ...and by the endpoint when a client presents it anyway.
	kp, err := tls.LoadX509KeyPair(expired.CertFile, expired.KeyFile)
	require.NoError(t, err)
	pool, _ := tlsfiles.CertPool(ca.File)
	_, err = NewClient(url, "", WithTLS(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{kp}}, expired.CertFile)).
		Issue(context.Background(), Request{Project: "p1", Purpose: contract.PurposeRefresh})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "refused client certificate "+expired.CertFile)

	// A server the CA file does not vouch for.
	err = issue(t, url, "", tlstest.NewCA(t, "wrong").File, runner.CertFile, runner.KeyFile)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not trusted")

	// An unreadable CA file is named.
	missing := filepath.Join(t.TempDir(), "nope.crt")
	err = issue(t, url, "", missing, runner.CertFile, runner.KeyFile)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CA file "+missing)
	garbage := filepath.Join(t.TempDir(), "garbage.crt")
	require.NoError(t, os.WriteFile(garbage, []byte("not a certificate"), 0o600))
	err = issue(t, url, "", garbage, runner.CertFile, runner.KeyFile)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CA file "+garbage)

	// The secret alone does not stand in for a certificate in this mode.
	err = issue(t, url, "secret", ca.File, "", "")
	require.Error(t, err)
}

func TestAdminEither(t *testing.T) {
	ca := tlstest.NewCA(t, "fleet")
	url := tlsAdmin(t, ca, tls.VerifyClientCertIfGiven, CertificateAuth{Secret: "s3cret"})
	runner := ca.Issue(t, "runner-1", tlstest.Options{Client: true})
	require.NoError(t, issue(t, url, "", ca.File, runner.CertFile, runner.KeyFile))
	require.NoError(t, issue(t, url, "s3cret", ca.File, "", ""), "the admin secret over TLS")
	err := issue(t, url, "wrong", ca.File, "", "")
	require.Error(t, err)
	assert.True(t, errdefs.IsUnauthorized(err), "%v", err)
	err = issue(t, url, "", ca.File, "", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "client certificate")
}

func TestTLSOptionsNeedHTTPS(t *testing.T) {
	_, err := TLSOptions("127.0.0.1:5001", "ca.crt", "", "")
	require.Error(t, err)
	assert.True(t, errdefs.IsInvalidArgument(err))
	_, err = TLSOptions("https://admin:8443", "", "only-cert.crt", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "go together")
}
