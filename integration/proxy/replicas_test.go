package proxy

import (
	"encoding/base64"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/backend"
	"github.com/devcache/devcache/registryproxy/config"
	"github.com/devcache/devcache/registryproxy/keys"
)

// TestReplicasAreStateless: two proxies share a key file and one backing
// registry. A credential issued by one works on the other; an upload
// started on one is continued and finished on the other; a tag pushed
// through one is served (and immutable) through the other.
func TestReplicasAreStateless(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys.json")
	a := startProxy(t, func(c *config.Config) {
		c.Auth.KeysFile = keys
		c.Backend.EmbeddedListen = "127.0.0.1:0"
	})
	shared := a.svc.Backend.(*backend.Embedded).BaseURL()
	b := startProxy(t, func(c *config.Config) {
		c.Auth.KeysFile = keys
		c.Backend.Type = "registry"
		c.Backend.URL = shared
	})
	cred := a.credential("alpha", contract.PurposeCreate)
	tokB := b.pushToken(cred, repoA)
	tokA := a.pushToken(cred, repoA)

	r := a.do(http.MethodPost, "/v2/"+repoA+"/blobs/uploads/", tokA, nil, nil)
	require.Equal(t, http.StatusAccepted, r.Status)
	data := []byte("replicated chunk")
	r = b.do(http.MethodPatch, r.Header.Get("Location"), tokB, data, map[string]string{"Content-Type": "application/octet-stream"})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	loc := r.Header.Get("Location")
	r = a.do(http.MethodPut, loc+"?digest=sha256:"+sha(data), tokA, nil, nil)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))

	m1, d1 := a.image(tokA, repoA, "r1")
	m2, _ := a.image(tokA, repoA, "r2")
	require.Equal(t, http.StatusCreated, a.putManifest(tokA, repoA, "shared", m1).Status)
	r = b.do(http.MethodGet, "/v2/"+repoA+"/manifests/shared", tokB, nil, map[string]string{"Accept": manifestAccept})
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, d1.String(), r.Header.Get("Docker-Content-Digest"))
	r = b.putManifest(tokB, repoA, "shared", m2)
	assert.Equal(t, "TAG_INVALID", r.code(), "immutability holds across replicas")
}

// TestKeyRotation: after `keys rotate` a restarted proxy signs with the new
// key and still accepts credentials signed with the previous one.
func TestKeyRotation(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "keys.json")
	before := startProxy(t, func(c *config.Config) { c.Auth.KeysFile = keyFile })
	old := before.credential("alpha", contract.PurposeRebuild)
	kf, err := keys.Load(keyFile)
	require.NoError(t, err)
	_, err = kf.Rotate(2)
	require.NoError(t, err)
	require.NoError(t, keys.Save(keyFile, kf))

	after := startProxy(t, func(c *config.Config) { c.Auth.KeysFile = keyFile })
	assert.Equal(t, "repository:"+repoA+":pull", after.token(old, "repository:"+repoA+":pull").Scope, "old credential still accepted")
	fresh := after.credential("alpha", contract.PurposeRebuild)
	hdr, err := base64.RawURLEncoding.DecodeString(strings.Split(fresh.Password, ".")[0])
	require.NoError(t, err)
	assert.Contains(t, string(hdr), `"kid":"`+kf.SigningKeys[0].ID+`"`)
}
