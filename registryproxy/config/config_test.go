package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func write(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "proxy.toml")
	require.NoError(t, os.WriteFile(p, []byte(s), 0o600))
	return p
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load("")
	require.NoError(t, err)
	require.Equal(t, "embedded", c.Backend.Type)
	require.True(t, c.CacheEnabled())
	require.Equal(t, 30*24*time.Hour, c.Cache.Expiry.Duration)
	require.Equal(t, 7*24*time.Hour, c.Cache.PrebuildExpiry.Duration)
}

func TestLoadFile(t *testing.T) {
	c, err := Load(write(t, `version = 1
[server]
addr = "127.0.0.1:7000"
state_dir = "/tmp/x"
[cache]
enabled = false
expiry = "48h"
[backend]
type = "registry"
url = "https://registry.example"
repository = "gitpod-runner-{runner}/projects/{project}/{repository}"
runner = "r1"
`))
	require.NoError(t, err)
	require.False(t, c.CacheEnabled())
	require.Equal(t, 48*time.Hour, c.Cache.Expiry.Duration)
	require.Equal(t, "unix:/tmp/x/admin.sock", c.Server.AdminAddr)
}

func TestStrict(t *testing.T) {
	_, err := Load(write(t, "version = 1\n[server]\nbogus_key = \"x\"\n"))
	require.ErrorContains(t, err, "bogus_key")
	_, err = Load(write(t, "[server]\naddr = \"x\"\n"))
	require.ErrorContains(t, err, "version")
	_, err = Load(write(t, "version = 2\n"))
	require.ErrorContains(t, err, "version 2")
	_, err = Load(write(t, "version = 1\n[backend]\ntype = \"registry\"\n"))
	require.ErrorContains(t, err, "backend.url")
}

func TestBackendCAFile(t *testing.T) {
	c, err := Load(write(t, "version = 1\n[backend]\ntype = \"registry\"\nurl = \"https://registry.example\"\nca_file = \"/etc/devcache/ca.crt\"\n"))
	require.NoError(t, err)
	require.Equal(t, "/etc/devcache/ca.crt", c.Backend.CAFile)
	_, err = Load(write(t, "version = 1\n[backend]\ntype = \"registry\"\nurl = \"http://registry.example\"\nca_file = \"/etc/devcache/ca.crt\"\n"))
	require.ErrorContains(t, err, "backend.ca_file /etc/devcache/ca.crt is set but backend.url")
	_, err = Load(write(t, "version = 1\n[backend]\nca_file = \"/etc/devcache/ca.crt\"\n"))
	require.ErrorContains(t, err, "backend.ca_file /etc/devcache/ca.crt is only for")
}
