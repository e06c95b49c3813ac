package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/config"
	"github.com/devcache/devcache/registryproxy/gc"
	"github.com/devcache/devcache/registryproxy/policy"
)

// TestRemoteBackend runs the proxy in front of the stack's own registry
// (backend.type = "registry") with a runner prefix, runs the conformance
// runner through it, checks that backend names carry the prefix, and sweeps
// everything it pushed afterwards.
func TestRemoteBackend(t *testing.T) {
	s := testenv.Get(t)
	var rb [4]byte
	_, _ = rand.Read(rb[:])
	runner := "it" + hex.EncodeToString(rb[:])
	p := startProxy(t, func(c *config.Config) {
		c.Backend.Type = "registry"
		c.Backend.URL = "http://" + s.Registry
		c.Backend.Repository = "devcache-it/gitpod-runner-{runner}/projects/{project}/{repository}"
		c.Backend.Runner = runner
		c.Backend.MetaRepository = "devcache-it/gitpod-runner-{runner}/push-records"
	})
	t.Cleanup(func() {
		rep, err := gc.Sweep(context.Background(), p.svc.Records, p.svc.Backend, p.svc.Layout.Namer, policy.Expiry{Cache: time.Nanosecond, Prebuild: time.Nanosecond}, time.Now().Add(time.Hour))
		assert.NoError(t, err)
		t.Logf("swept %d of %d push records", rep.Deleted, rep.Records)
	})

	cred := p.credential("conformance", contract.PurposeCreate)
	cmd := s.Command("conformance")
	cmd.Dir = t.TempDir()
	cmd.Env = append(cmd.Env,
		"OCI_REGISTRY="+p.Host, "OCI_TLS=disabled",
		"OCI_REPO1=projects/conformance/image-build", "OCI_REPO2=projects/conformance/prebuild",
		"OCI_USERNAME="+cred.Username, "OCI_PASSWORD="+cred.Password,
		"OCI_RESULTS_DIR="+filepath.Join(cmd.Dir, "results"),
	)
	for k, v := range conformanceToggles {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "conformance through the remote backend failed:\n%s", tail(string(out), 120))
	require.Contains(t, string(out), "OCI Conformance Result: Pass")

	// The images landed under the runner prefix in the backing registry.
	tok := p.pushToken(cred, "projects/conformance/image-build")
	m, d := p.image(tok, "projects/conformance/image-build", "remote")
	require.Equal(t, http.StatusCreated, p.putManifest(tok, "projects/conformance/image-build", "remote", m).Status)
	req, _ := http.NewRequest(http.MethodHead, "http://"+s.Registry+"/v2/devcache-it/gitpod-runner-"+runner+"/projects/conformance/image-build/manifests/"+d.String(), nil)
	req.Header.Set("Accept", manifestAccept)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
