package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/registryproxy/credentials"
)

// TestBinaryMetricsMove runs the real binary, pushes and pulls an image
// with go-containerregistry, provokes each refusal, and checks that every
// proxy series documented in docs/proxy.md moves: in-flight requests,
// backend durations by operation, tokens and credentials by purpose,
// denials by reason, immutable-tag refusals and the sweeper's runs and
// deletions.
func TestBinaryMetricsMove(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	addr, debug := freeAddr(t), freeAddr(t)
	cfg := filepath.Join(dir, "proxy.toml")
	require.NoError(t, os.WriteFile(cfg, fmt.Appendf(nil,
		"version = 1\n[server]\naddr = %q\ndebug_addr = %q\nstate_dir = %q\n[cache]\nexpiry = \"6s\"\ngc_interval = \"500ms\"\n", addr, debug, state), 0o600))
	testenv.StartProc(t, filepath.Join(dir, "proxy.log"), os.Environ(), bin, "serve", "--config", cfg)
	eventually(t, 20*time.Second, func() bool { return status(t, "http://"+debug+"/debug/ready") == http.StatusOK })
	scrape := func() testenv.Metrics { return testenv.Scrape(t, "http://"+debug+"/metrics") }
	before := scrape()
	for _, n := range []string{"devcache_proxy_requests_in_flight", "devcache_proxy_tokens_issued_total", "devcache_proxy_credentials_issued_total",
		"devcache_proxy_policy_denials_total", "devcache_proxy_immutable_tag_refusals_total", "devcache_proxy_gc_runs_total",
		"devcache_proxy_gc_deleted_total", "devcache_proxy_gc_errors_total"} {
		assert.True(t, before.Has(n), "%s is exported from the start", n)
	}

	cred := func(purpose string) credentials.Credential {
		out, err := exec.Command(bin, "credentials", "--config", cfg, "--project", "alpha", "--purpose", purpose).Output()
		require.NoError(t, err)
		var c credentials.Credential
		require.NoError(t, json.Unmarshal(out, &c))
		return c
	}
	create, rebuild := cred("create"), cred("rebuild")
	auth := func(c credentials.Credential) remote.Option {
		return remote.WithAuth(&authn.Basic{Username: c.Username, Password: c.Password})
	}
	ref, err := name.ParseReference(addr+"/"+repoA+":metrics", name.Insecure)
	require.NoError(t, err)

	// Push with create, pull with rebuild.
	img, _ := random.Image(4096, 2)
	require.NoError(t, remote.Write(ref, img, auth(create)))
	pulled, err := remote.Image(ref, auth(rebuild))
	require.NoError(t, err)
	layers, err := pulled.Layers()
	require.NoError(t, err)
	rc, err := layers[0].Compressed()
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, rc)
	rc.Close()

	// Refusals: another image to the same tag, a push with a pull-only
	// credential, no token, a forged token, and a token for /token that is not a credential.
	other, _ := random.Image(4096, 1)
	require.Error(t, remote.Write(ref, other, auth(create)), "the tag is immutable")
	require.Error(t, remote.Write(ref, other, auth(rebuild)), "rebuild may not push")
	assert.Equal(t, http.StatusUnauthorized, status(t, "http://"+addr+"/v2/"+repoA+"/tags/list"))
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v2/", nil)
	req.Header.Set("Authorization", "Bearer forged")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	req, _ = http.NewRequest(http.MethodGet, "http://"+addr+"/token?scope=repository:"+repoA+":pull", nil)
	req.SetBasicAuth("devcache", "not-a-credential")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()

	// A request held open is in flight.
	req, _ = http.NewRequest(http.MethodGet, "http://"+addr+"/token?scope=repository:"+repoA+":pull,push", nil)
	req.SetBasicAuth(create.Username, create.Password)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	var tr tokenReply
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tr))
	resp.Body.Close()
	tok := tr.Token
	post, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v2/"+repoA+"/blobs/uploads/", nil)
	post.Header.Set("Authorization", "Bearer "+tok)
	resp, err = http.DefaultClient.Do(post)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	pr, pw := io.Pipe()
	patch, _ := http.NewRequest(http.MethodPatch, "http://"+addr+resp.Header.Get("Location"), pr)
	patch.Header.Set("Authorization", "Bearer "+tok)
	patched := make(chan error, 1)
	go func() {
		r, err := http.DefaultClient.Do(patch)
		if err == nil {
			r.Body.Close()
		}
		patched <- err
	}()
	_, _ = pw.Write(bytes.Repeat([]byte("x"), 64<<10))
	eventually(t, 10*time.Second, func() bool { return scrape().Value("devcache_proxy_requests_in_flight") >= 1 })
	pw.Close()
	require.NoError(t, <-patched)

	after := scrape()
	delta := func(name string, labels ...string) float64 {
		return after.Value(name, labels...) - before.Value(name, labels...)
	}
	assert.Equal(t, 0.0, after.Value("devcache_proxy_requests_in_flight"), "nothing in flight once the upload ended")
	assert.Equal(t, 1.0, delta("devcache_proxy_credentials_issued_total", "purpose", "create"))
	assert.Equal(t, 1.0, delta("devcache_proxy_credentials_issued_total", "purpose", "rebuild"))
	assert.GreaterOrEqual(t, delta("devcache_proxy_tokens_issued_total", "purpose", "create"), 2.0)
	assert.GreaterOrEqual(t, delta("devcache_proxy_tokens_issued_total", "purpose", "rebuild"), 1.0)
	assert.Equal(t, 1.0, delta("devcache_proxy_immutable_tag_refusals_total"))
	assert.GreaterOrEqual(t, delta("devcache_proxy_policy_denials_total", "reason", "insufficient_scope"), 1.0)
	assert.GreaterOrEqual(t, delta("devcache_proxy_policy_denials_total", "reason", "no_token"), 1.0)
	assert.Equal(t, 1.0, delta("devcache_proxy_policy_denials_total", "reason", "invalid_token"))
	assert.Equal(t, 1.0, delta("devcache_proxy_policy_denials_total", "reason", "invalid_credential"))
	assert.Equal(t, 0.0, delta("devcache_proxy_policy_denials_total", "reason", "delete_refused"))
	for _, op := range []string{"manifest", "blob", "upload"} {
		assert.Positive(t, delta("devcache_proxy_backend_request_duration_seconds", "operation", op), "backend %s requests observed", op)
	}
	assert.Positive(t, delta("devcache_proxy_backend_request_duration_seconds", "operation", "manifest", "method", "PUT", "code", "201"))
	for _, mf := range after {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				assert.NotContains(t, l.GetValue(), "sha256:", "%s: no per-digest labels", mf.GetName())
				assert.NotContains(t, l.GetValue(), "alpha", "%s: no per-repository labels", mf.GetName())
			}
		}
	}

	// The sweeper deletes the image once it expires.
	eventually(t, 30*time.Second, func() bool { return scrape().Value("devcache_proxy_gc_deleted_total") >= 1 })
	final := scrape()
	assert.Positive(t, final.Value("devcache_proxy_gc_runs_total"))
	assert.Equal(t, 0.0, final.Value("devcache_proxy_gc_errors_total"))
	assert.Positive(t, final.Value("devcache_proxy_gc_last_success_timestamp_seconds"))
}
