package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/registryproxy/credentials"
)

// TestBinaryServeSweeps: serve runs the expiry sweeper on its own
// (cache.gc_interval); an expired image disappears from the embedded
// backend without anyone running `devcache-proxy gc`.
func TestBinaryServeSweeps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	addr := freeAddr(t)
	cfg := filepath.Join(dir, "proxy.toml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(
		"version = 1\n[server]\naddr = %q\nstate_dir = %q\n[cache]\nexpiry = \"5s\"\ngc_interval = \"500ms\"\n", addr, state)), 0o600))
	srv := exec.Command(bin, "serve", "--config", cfg)
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() })
	eventually(t, 20*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(state, "admin.sock"))
		return err == nil
	})
	out, err := exec.Command(bin, "credentials", "--config", cfg, "--project", "alpha", "--purpose", "create").Output()
	require.NoError(t, err)
	var cred credentials.Credential
	require.NoError(t, json.Unmarshal(out, &cred))

	ref, err := name.ParseReference(addr+"/"+repoA+":sweep", name.Insecure)
	require.NoError(t, err)
	img, _ := random.Image(1024, 1)
	require.NoError(t, remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: cred.Username, Password: cred.Password})))
	dgst, _ := img.Digest()

	backend := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", filepath.Join(state, "backend.sock"))
	}}}
	head := func() int {
		req, _ := http.NewRequest(http.MethodHead, "http://backend/v2/"+repoA+"/manifests/"+dgst.String(), nil)
		req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, "+manifestAccept)
		resp, err := backend.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, head())
	eventually(t, 30*time.Second, func() bool { return head() == http.StatusNotFound })
}
