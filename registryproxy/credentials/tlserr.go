package credentials

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/internal/tlsfiles"
)

// transportError explains a failed call: a server certificate the client
// does not trust, or a client certificate the endpoint refused (named by
// its file), rather than a bare TLS alert.
func (c *Client) transportError(err error) error {
	var (
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
		alert    tls.AlertError
		verify   *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknown), errors.As(err, &invalid), errors.As(err, &hostname), errors.As(err, &verify):
		return fmt.Errorf("admin endpoint %s: its certificate is not trusted (set --proxy-admin-ca): %w: %w", c.base, err, errdefs.ErrUnauthenticated)
	case errors.As(err, &alert) || isRemoteTLSAlert(err):
		who := "the client: no client certificate presented"
		if c.certFile != "" {
			who = "client certificate " + c.certFile
		}
		return fmt.Errorf("admin endpoint %s refused %s: %w: %w", c.base, who, err, errdefs.ErrUnauthenticated)
	}
	return fmt.Errorf("admin endpoint %s: %w: %w", c.base, err, errdefs.ErrUnavailable)
}

// isRemoteTLSAlert recognises the alerts the server sends when it refuses
// a client certificate (crypto/tls reports them as *net.OpError around an
// unexported alert type: "remote error: tls: ...").
func isRemoteTLSAlert(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		return true
	}
	return false
}

// TLSOptions are the client options for addr: with an https:// address, a
// TLS configuration from caFile ("" for the system roots) and the client
// certificate certFile/keyFile (both or neither). TLS files with any other
// address are an error, not silently ignored.
func TLSOptions(addr, caFile, certFile, keyFile string) ([]ClientOption, error) {
	if !strings.HasPrefix(addr, "https://") {
		if caFile != "" || certFile != "" || keyFile != "" {
			return nil, fmt.Errorf("TLS files are set but the admin endpoint %q is not an https:// URL: %w", addr, errdefs.ErrInvalidArgument)
		}
		return nil, nil
	}
	cfg, err := tlsfiles.ClientConfig(caFile, certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return []ClientOption{WithTLS(cfg, certFile)}, nil
}
