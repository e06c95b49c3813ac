package service

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/devcache/devcache/internal/tlsfiles"
	"github.com/devcache/devcache/registryproxy/config"
	"github.com/devcache/devcache/registryproxy/credentials"
)

// adminAuth is how the admin endpoint admits callers, and its TLS
// configuration (nil: plain HTTP on a unix socket or loopback).
func adminAuth(cfg *config.Config, secret string) (credentials.Authenticator, *tls.Config, error) {
	t := cfg.Server.AdminTLS
	if !t.Enabled() {
		return credentials.SecretAuth(secret), nil, nil
	}
	kp, err := tlsfiles.KeyPair(t.Cert, t.Key, time.Now())
	if err != nil {
		return nil, nil, fmt.Errorf("server.admin_tls: %w", err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{kp}}
	if t.ClientCA != "" {
		if tc.ClientCAs, err = tlsfiles.CertPool(t.ClientCA); err != nil {
			return nil, nil, fmt.Errorf("server.admin_tls.client_ca: %w", err)
		}
	}
	switch t.ClientAuth {
	case config.ClientAuthCertificate:
		tc.ClientAuth = tls.RequireAndVerifyClientCert
		return credentials.CertificateAuth{}, tc, nil
	case config.ClientAuthEither:
		tc.ClientAuth = tls.VerifyClientCertIfGiven
		return credentials.CertificateAuth{Secret: credentials.SecretAuth(secret)}, tc, nil
	}
	return credentials.SecretAuth(secret), tc, nil
}
