package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdminTLS(t *testing.T) {
	load := func(server string) (*Config, error) {
		return Load(write(t, "version = 1\n[server]\nstate_dir = \"/tmp/x\"\n"+server))
	}
	for _, addr := range []string{"127.0.0.1:5001", "[::1]:5001", "localhost:5001", "unix:/run/admin.sock"} {
		_, err := load("admin_addr = \"" + addr + "\"\n")
		require.NoError(t, err, addr)
	}
	for _, addr := range []string{"0.0.0.0:5001", ":5001", "10.0.0.4:5001", "admin.example:5001"} {
		_, err := load("admin_addr = \"" + addr + "\"\n")
		require.Error(t, err, addr)
		assert.Contains(t, err.Error(), "admin_tls", addr)
	}
	c, err := load("admin_addr = \"0.0.0.0:5001\"\n[server.admin_tls]\ncert = \"a.crt\"\nkey = \"a.key\"\nclient_ca = \"ca.crt\"\n")
	require.NoError(t, err)
	assert.Equal(t, ClientAuthCertificate, c.Server.AdminTLS.ClientAuth, "client_ca makes certificates the default")
	c, err = load("admin_addr = \"0.0.0.0:5001\"\n[server.admin_tls]\ncert = \"a.crt\"\nkey = \"a.key\"\n")
	require.NoError(t, err)
	assert.Equal(t, ClientAuthSecret, c.Server.AdminTLS.ClientAuth)

	for _, bad := range []string{
		"admin_addr = \"0.0.0.0:5001\"\n[server.admin_tls]\ncert = \"a.crt\"\n",
		"admin_addr = \"0.0.0.0:5001\"\n[server.admin_tls]\ncert = \"a.crt\"\nkey = \"a.key\"\nclient_auth = \"either\"\n",
		"admin_addr = \"0.0.0.0:5001\"\n[server.admin_tls]\ncert = \"a.crt\"\nkey = \"a.key\"\nclient_auth = \"anyone\"\n",
		"admin_addr = \"unix:/run/a.sock\"\n[server.admin_tls]\ncert = \"a.crt\"\nkey = \"a.key\"\n",
		"[server.admin_tls]\nclient_ca = \"ca.crt\"\n",
	} {
		_, err := load(bad)
		require.Error(t, err, bad)
	}
}
