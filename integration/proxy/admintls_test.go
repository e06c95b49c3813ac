package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/tlsfiles/tlstest"
	"github.com/devcache/devcache/registryproxy/credentials"
)

// TestBinaryAdminTLS serves the admin endpoint off the unix socket over TLS
// with client certificates (the real binary), and asks it for credentials
// the way a runner on another host does: `devcache-proxy credentials` with a
// client certificate is served; no certificate, an expired one, or one from
// another CA is refused with an error naming the certificate file.
func TestBinaryAdminTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "fleet")
	srvPair := ca.Issue(t, "admin", tlstest.Options{})
	runner := ca.Issue(t, "runner-1", tlstest.Options{Client: true})
	addr, admin := freeAddr(t), freeAddr(t)
	cfg := filepath.Join(dir, "proxy.toml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`version = 1
[server]
addr = %q
admin_addr = %q
state_dir = %q
[server.admin_tls]
cert = %q
key = %q
client_ca = %q
`, addr, admin, filepath.Join(dir, "state"), srvPair.CertFile, srvPair.KeyFile, ca.File)), 0o600))
	var logs bytes.Buffer
	srv := exec.Command(bin, "serve", "--config", cfg)
	srv.Stdout, srv.Stderr = &logs, &logs
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() })

	url := "https://" + admin
	creds := func(args ...string) ([]byte, error) {
		// No key file on this "runner host": only the certificate authenticates.
		a := append([]string{"credentials", "--state-dir", filepath.Join(dir, "runner-host"), "--project", "p1", "--purpose", "refresh", "--admin", url, "--admin-ca", ca.File}, args...)
		return exec.Command(bin, a...).CombinedOutput()
	}
	var out []byte
	var err error
	eventually(t, 20*time.Second, func() bool {
		out, err = creds("--admin-cert", runner.CertFile, "--admin-key", runner.KeyFile)
		return err == nil
	})
	var c credentials.Credential
	require.NoError(t, json.Unmarshal(out, &c), string(out))
	assert.NotEmpty(t, c.Password)
	assert.Contains(t, logs.String(), "caller=cert:runner-1")

	secretFile := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte("guessed"), 0o600))
	out, err = creds("--admin-secret-file", secretFile)
	require.Error(t, err, "no client certificate")
	assert.Contains(t, string(out), "refused the client: no client certificate presented")

	expired := ca.Issue(t, "runner-old", tlstest.Options{Client: true, NotAfter: time.Now().Add(-time.Minute)})
	out, err = creds("--admin-cert", expired.CertFile, "--admin-key", expired.KeyFile)
	require.Error(t, err)
	assert.Contains(t, string(out), "certificate "+expired.CertFile)
	assert.Contains(t, string(out), "expired")

	other := tlstest.NewCA(t, "elsewhere").Issue(t, "intruder", tlstest.Options{Client: true})
	out, err = creds("--admin-cert", other.CertFile, "--admin-key", other.KeyFile)
	require.Error(t, err)
	assert.Contains(t, string(out), "refused client certificate "+other.CertFile)

	// Plain HTTP to the TLS admin listener gets no credential.
	out, err = exec.Command(bin, "credentials", "--state-dir", filepath.Join(dir, "state"), "--project", "p1", "--purpose", "refresh", "--admin", "http://"+admin).CombinedOutput()
	require.Error(t, err, string(out))
}

// TestBinaryAdminOffLoopbackNeedsTLS: serve refuses an admin address off
// loopback without TLS, and names an unreadable client CA file.
func TestBinaryAdminOffLoopbackNeedsTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "proxy.toml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf("version = 1\n[server]\naddr = %q\nadmin_addr = \"0.0.0.0:0\"\nstate_dir = %q\n", freeAddr(t), dir)), 0o600))
	out, err := exec.Command(bin, "serve", "--config", cfg).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "is not loopback")

	ca := tlstest.NewCA(t, "fleet")
	pair := ca.Issue(t, "admin", tlstest.Options{})
	missing := filepath.Join(dir, "missing-ca.crt")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf("version = 1\n[server]\naddr = %q\nadmin_addr = %q\nstate_dir = %q\n[server.admin_tls]\ncert = %q\nkey = %q\nclient_ca = %q\n",
		freeAddr(t), freeAddr(t), dir, pair.CertFile, pair.KeyFile, missing)), 0o600))
	out, err = exec.Command(bin, "serve", "--config", cfg).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), missing)
}
