package credentials

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/containerd/errdefs"
)

// Authenticator admits callers of the admin endpoint and names them.
type Authenticator interface {
	Authenticate(r *http.Request) (identity string, err error)
}

// SecretAuth admits "Authorization: Bearer <secret>".
type SecretAuth string

// Authenticate implements Authenticator.
func (s SecretAuth) Authenticate(r *http.Request) (string, error) {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || s == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s)) != 1 {
		return "", fmt.Errorf("wrong or missing admin secret: %w", errdefs.ErrUnauthenticated)
	}
	return "admin-secret", nil
}

// CertificateAuth admits a client whose TLS certificate the listener
// verified (tls.Config.ClientCAs); its identity is the certificate's subject
// common name. With Secret set, a caller without a certificate may present
// the admin secret instead ("either").
type CertificateAuth struct {
	Secret SecretAuth
}

// Authenticate implements Authenticator.
func (c CertificateAuth) Authenticate(r *http.Request) (string, error) {
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		return "cert:" + r.TLS.VerifiedChains[0][0].Subject.CommonName, nil
	}
	if c.Secret != "" {
		if r.Header.Get("Authorization") == "" {
			return "", fmt.Errorf("a client certificate signed by the endpoint's client_ca, or the admin secret, is required: %w", errdefs.ErrUnauthenticated)
		}
		return c.Secret.Authenticate(r)
	}
	return "", fmt.Errorf("a client certificate signed by the endpoint's client_ca is required: %w", errdefs.ErrUnauthenticated)
}
