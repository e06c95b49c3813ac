package config

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// finishAdmin defaults and validates the admin endpoint: TLS settings that go
// together, and no credential endpoint off loopback without TLS (the admin
// secret would travel in clear text).
func (c *Config) finishAdmin() error {
	t := &c.Server.AdminTLS
	if !t.Enabled() {
		if t.ClientCA != "" || t.ClientAuth != "" {
			return errors.New("server.admin_tls: client_ca and client_auth need cert and key")
		}
		if !strings.HasPrefix(c.Server.AdminAddr, "unix:") && !loopback(c.Server.AdminAddr) {
			return fmt.Errorf("server.admin_addr %q is not loopback: set [server.admin_tls] cert, key and client_ca (the admin endpoint hands out credentials)", c.Server.AdminAddr)
		}
		return nil
	}
	if t.Cert == "" || t.Key == "" {
		return errors.New("server.admin_tls: cert and key go together")
	}
	if strings.HasPrefix(c.Server.AdminAddr, "unix:") {
		return fmt.Errorf("server.admin_tls needs a TCP server.admin_addr, not %q", c.Server.AdminAddr)
	}
	if t.ClientAuth == "" {
		t.ClientAuth = ClientAuthSecret
		if t.ClientCA != "" {
			t.ClientAuth = ClientAuthCertificate
		}
	}
	switch t.ClientAuth {
	case ClientAuthSecret:
	case ClientAuthCertificate, ClientAuthEither:
		if t.ClientCA == "" {
			return fmt.Errorf("server.admin_tls: client_auth = %q needs client_ca", t.ClientAuth)
		}
	default:
		return fmt.Errorf("server.admin_tls.client_auth %q: want certificate, secret or either", t.ClientAuth)
	}
	return nil
}

// loopback reports whether host:port names a loopback address (or
// localhost); an unspecified host (":8443", "0.0.0.0:8443") is not.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
