package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"time"

	"github.com/containerd/errdefs"
)

// CertPool reads a PEM bundle of CA certificates. An unreadable file, a file
// with no certificate or a malformed one is an error naming path.
func CertPool(path string) (*x509.CertPool, error) {
	return appendCerts(x509.NewCertPool(), path)
}

// SystemPoolWith is the system roots (Go reads SSL_CERT_FILE and
// SSL_CERT_DIR, else the distribution's bundle, /etc/ssl/certs in devcache's
// images) plus the CA certificates in path, as containerd's hosts.toml "ca"
// adds to them. Errors name path, as CertPool's do.
func SystemPoolWith(path string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	return appendCerts(pool, path)
}

func appendCerts(pool *x509.CertPool, path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path) //nolint:gosec // operator configuration
	if err != nil {
		return nil, fmt.Errorf("CA file %s: %w", path, err)
	}
	n := 0
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("CA file %s: certificate %d: %w: %w", path, n+1, err, errdefs.ErrInvalidArgument)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("CA file %s: no PEM certificate in it: %w", path, errdefs.ErrInvalidArgument)
	}
	return pool, nil
}

// KeyPair loads a certificate and its private key, and refuses a leaf
// certificate that is not valid at now (expired, or not yet valid).
func KeyPair(certFile, keyFile string, now time.Time) (tls.Certificate, error) {
	if certFile == "" || keyFile == "" {
		return tls.Certificate{}, fmt.Errorf("a certificate and its key go together (certificate %q, key %q): %w", certFile, keyFile, errdefs.ErrInvalidArgument)
	}
	for _, f := range []string{certFile, keyFile} {
		if _, err := os.Stat(f); err != nil {
			return tls.Certificate{}, fmt.Errorf("%s: %w", f, err)
		}
	}
	kp, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("key pair %s, %s: %w: %w", certFile, keyFile, err, errdefs.ErrInvalidArgument)
	}
	leaf := kp.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(kp.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("certificate %s: %w: %w", certFile, err, errdefs.ErrInvalidArgument)
		}
		kp.Leaf = leaf
	}
	if err := Valid(leaf, now); err != nil {
		return tls.Certificate{}, fmt.Errorf("certificate %s: %w", certFile, err)
	}
	return kp, nil
}

// Valid fails with errdefs.ErrFailedPrecondition when c is not valid at now.
func Valid(c *x509.Certificate, now time.Time) error {
	switch {
	case now.After(c.NotAfter):
		return fmt.Errorf("%q expired at %s: %w", c.Subject.String(), c.NotAfter.UTC().Format(time.RFC3339), errdefs.ErrFailedPrecondition)
	case now.Before(c.NotBefore):
		return fmt.Errorf("%q is not valid before %s: %w", c.Subject.String(), c.NotBefore.UTC().Format(time.RFC3339), errdefs.ErrFailedPrecondition)
	}
	return nil
}

// ClientConfig is a TLS client configuration: caFile ("" for the system
// roots) verifies the server; certFile and keyFile (both or neither) are the
// client's certificate.
func ClientConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pool, err := CertPool(caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if certFile != "" || keyFile != "" {
		kp, err := KeyPair(certFile, keyFile, time.Now())
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{kp}
	}
	return cfg, nil
}
