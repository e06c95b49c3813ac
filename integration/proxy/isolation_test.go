package proxy

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/config"
	"github.com/devcache/devcache/registryproxy/token"
)

const (
	repoA    = "projects/alpha/image-build"
	repoAPre = "projects/alpha/prebuild"
	repoB    = "projects/beta/image-build"
	repoC    = "projects/gamma/image-build" // never pushed: "absent"
)

// isolationFixture: project alpha and project beta, each with one pushed
// image; beta's tag, manifest and blobs are what alpha tries to reach.
type isolationFixture struct {
	p            *proxy
	credA, credB token.Credential
	tokA, tokB   string
	manB         []byte
	digB         string
	layerB       string
}

func newIsolationFixture(t *testing.T) *isolationFixture {
	// A backend prefix, so any leak of backend names is visible.
	p := startProxy(t, func(c *config.Config) {
		c.Backend.Repository = "gitpod-runner-{runner}/projects/{project}/{repository}"
		c.Backend.Runner = "r1"
	})
	f := &isolationFixture{p: p, credA: p.credential("alpha", contract.PurposeCreate), credB: p.credential("beta", contract.PurposeCreate)}
	f.tokA = p.token(f.credA, "repository:"+repoA+":pull,push", "repository:"+repoAPre+":pull,push").Token
	f.tokB = p.pushToken(f.credB, repoB)
	m, d := p.image(f.tokB, repoB, "beta")
	require.Equal(t, http.StatusCreated, p.putManifest(f.tokB, repoB, "v1", m).Status)
	f.manB, f.digB = m, d.String()
	f.layerB = "sha256:" + sha([]byte("layer beta"))
	ma, _ := p.image(f.tokA, repoA, "alpha")
	require.Equal(t, http.StatusCreated, p.putManifest(f.tokA, repoA, "v1", ma).Status)
	return f
}

func TestIsolationPathTricksRejectedBeforeAuthorisation(t *testing.T) {
	f := newIsolationFixture(t)
	for _, path := range []string{
		"/v2/projects/alpha/../beta/image-build/manifests/v1",
		"/v2/projects/alpha/image-build/../../beta/image-build/manifests/v1",
		"/v2/projects/alpha/%2e%2e/beta/image-build/manifests/v1",
		"/v2/projects/alpha/%2E%2E/beta/image-build/manifests/v1",
		"/v2/projects%2fbeta/image-build/manifests/v1",
		"/v2/projects/beta%2Fimage-build/manifests/v1",
		"/v2/projects//beta/image-build/manifests/v1",
		"/v2/projects/./beta/image-build/manifests/v1",
		"/v2/Projects/beta/image-build/manifests/v1",
		"/v2/projects/BETA/image-build/manifests/v1",
		"/v2/projects\\beta/image-build/manifests/v1",
		"/v2/projects/beta/image-build/manifests/" + strings.ToUpper(f.digB),
		"/v2/projects/beta/image-build/manifests/sha256:abcd",
		"/v2/projects/beta/image-build/blobs/sha256:../../x",
		"/v2/projects/beta/image-build/manifests/.v1",
		"/v2/projects/beta/image-build/manifests/v1%00",
	} {
		for _, tok := range []string{"", f.tokA} {
			r := f.p.do(http.MethodGet, path, tok, nil, nil)
			assert.Equal(t, http.StatusBadRequest, r.Status, "%s (token=%v): %s", path, tok != "", r.Body)
			assert.Empty(t, r.Header.Get("WWW-Authenticate"), "rejected before any authorisation decision: %s", path)
			assert.NotContains(t, string(r.Body), f.digB)
		}
	}
}

func TestIsolationNotYoursLooksAbsent(t *testing.T) {
	f := newIsolationFixture(t)
	norm := func(r reply, repo string) string {
		return strings.ReplaceAll(r.Header.Get("WWW-Authenticate")+"|"+string(r.Body), repo, "REPO")
	}
	for _, tc := range []struct{ method, suffix string }{
		{http.MethodGet, "/manifests/v1"},
		{http.MethodHead, "/manifests/v1"},
		{http.MethodGet, "/manifests/" + "sha256:" + strings.Repeat("0", 64)},
		{http.MethodGet, "/tags/list"},
		{http.MethodHead, "/blobs/sha256:" + strings.Repeat("0", 64)},
		{http.MethodPost, "/blobs/uploads/"},
		{http.MethodPut, "/manifests/v2"},
		{http.MethodDelete, "/manifests/v1"},
		{http.MethodGet, "/referrers/sha256:" + strings.Repeat("0", 64)},
	} {
		for _, tok := range []string{"", f.tokA} {
			beta := f.p.do(tc.method, "/v2/"+repoB+tc.suffix, tok, nil, nil)
			gamma := f.p.do(tc.method, "/v2/"+repoC+tc.suffix, tok, nil, nil)
			assert.Equal(t, http.StatusUnauthorized, beta.Status, "%s %s", tc.method, tc.suffix)
			assert.Equal(t, gamma.Status, beta.Status)
			assert.Equal(t, norm(gamma, repoC), norm(beta, repoB), "%s %s: beta (exists) and gamma (absent) must look alike", tc.method, tc.suffix)
		}
	}
	// Names outside the cache namespace are just as unreachable.
	r := f.p.do(http.MethodGet, "/v2/gitpod-runner-r1/projects/beta/image-build/manifests/v1", f.tokA, nil, nil)
	assert.Equal(t, http.StatusUnauthorized, r.Status)
}

func TestIsolationScopeConfusion(t *testing.T) {
	f := newIsolationFixture(t)
	for _, scope := range []string{
		"repository:" + repoB + ":pull,push",
		"repository:" + repoB + ":*",
		"repository:projects/alpha/image-build/../../beta/image-build:pull",
		"repository:PROJECTS/beta/image-build:pull",
		"repository:" + f.p.Host + "/" + repoB + ":pull",
		"repository(plugin):" + repoB + ":pull",
		"registry:catalog:*",
		"repository:projects/alpha:pull",
		"repository:projects/alpha/image-build:delete",
	} {
		tr := f.p.token(f.credA, scope)
		assert.Empty(t, tr.Scope, "scope %s must grant nothing", scope)
		r := f.p.do(http.MethodGet, "/v2/"+repoB+"/manifests/v1", tr.Token, nil, nil)
		assert.Equal(t, http.StatusUnauthorized, r.Status)
		assert.Contains(t, r.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
	}
	// Several scopes, space-separated in one POST (the OAuth2 form): only alpha's survive.
	resp, err := http.PostForm(f.p.URL+"/token", map[string][]string{
		"grant_type": {"password"}, "username": {"devcache"}, "password": {f.credA.Password}, "client_id": {"t"},
		"service": {f.p.svc.Authority.Service()}, "scope": {"repository:" + repoA + ":pull,push repository:" + repoB + ":pull"},
	})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func forge(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.Claims) string {
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

func TestIsolationForgedExpiredAndForeignTokens(t *testing.T) {
	f := newIsolationFixture(t)
	now := time.Now()
	claims := token.AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "devcache-proxy", Subject: "x", Audience: jwt.ClaimStrings{"devcache-proxy"},
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)), IssuedAt: jwt.NewNumericDate(now), ID: "j",
		},
		Project: "beta",
		Access:  []token.Access{{Type: "repository", Name: repoB, Actions: []string{"pull", "push", "delete"}}},
	}
	kid := f.p.svc.Keys.SigningKeys[0].ID
	_, attacker, _ := ed25519.GenerateKey(rand.Reader)
	pub := ed25519.NewKeyFromSeed(f.p.svc.Keys.SigningKeys[0].Seed).Public().(ed25519.PublicKey)
	expired := claims
	expired.ExpiresAt = jwt.NewNumericDate(now.Add(-2 * time.Minute))
	expired.IssuedAt = jwt.NewNumericDate(now.Add(-10 * time.Minute))
	real := ed25519.NewKeyFromSeed(f.p.svc.Keys.SigningKeys[0].Seed)
	wrongAud := claims
	wrongAud.Audience = jwt.ClaimStrings{"other-registry"}

	other := startProxy(t, nil) // another deployment, other keys
	foreignCred := other.credential("beta", contract.PurposeCreate)
	foreign := other.token(foreignCred, "repository:"+repoB+":pull").Token

	for name, tok := range map[string]string{
		"alg none":              forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, claims),
		"HS256 with public key": forge(t, jwt.SigningMethodHS256, []byte(pub), kid, claims),
		"unknown key same kid":  forge(t, jwt.SigningMethodEdDSA, attacker, kid, claims),
		"expired":               forge(t, jwt.SigningMethodEdDSA, real, kid, expired),
		"wrong audience":        forge(t, jwt.SigningMethodEdDSA, real, kid, wrongAud),
		"credential as bearer":  f.credB.Password,
		"foreign deployment":    foreign,
		"garbage":               "not.a.jwt",
	} {
		r := f.p.do(http.MethodGet, "/v2/"+repoB+"/manifests/v1", tok, nil, nil)
		assert.Equal(t, http.StatusUnauthorized, r.Status, name)
		assert.Contains(t, r.Header.Get("WWW-Authenticate"), `error="invalid_token"`, name)
	}
	// The token endpoint refuses expired and foreign credentials.
	for name, pw := range map[string]string{"foreign credential": foreignCred.Password, "bearer as credential": f.tokB} {
		req, _ := http.NewRequest(http.MethodGet, f.p.URL+"/token?scope=repository:"+repoB+":pull", nil)
		req.SetBasicAuth("devcache", pw)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
	}
}

func TestIsolationCrossProjectMount(t *testing.T) {
	f := newIsolationFixture(t)
	// alpha asks to mount beta's layer: the mount is ignored (202, a plain
	// upload session) and the blob does not appear in alpha's repository.
	tok := f.p.token(f.credA, "repository:"+repoA+":pull,push", "repository:"+repoB+":pull").Token
	r := f.p.do(http.MethodPost, "/v2/"+repoA+"/blobs/uploads/?mount="+f.layerB+"&from="+repoB, tok, nil, nil)
	assert.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	// Automatic mount (no from): never performed.
	r = f.p.do(http.MethodPost, "/v2/"+repoA+"/blobs/uploads/?mount="+f.layerB, tok, nil, nil)
	assert.Equal(t, http.StatusAccepted, r.Status)
	assert.Equal(t, http.StatusNotFound, f.p.do(http.MethodHead, "/v2/"+repoA+"/blobs/"+f.layerB, tok, nil, nil).Status)
	// Blob existence oracle: beta's layer through alpha's repository.
	assert.Equal(t, http.StatusNotFound, f.p.do(http.MethodGet, "/v2/"+repoA+"/blobs/"+f.layerB, tok, nil, nil).Status)
	// A mount inside the same project works (image-build -> prebuild).
	la := "sha256:" + sha([]byte("layer alpha"))
	r = f.p.do(http.MethodPost, "/v2/"+repoAPre+"/blobs/uploads/?mount="+la+"&from="+repoA, f.tokA, nil, nil)
	assert.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	assert.Equal(t, "/v2/"+repoAPre+"/blobs/"+la, r.Header.Get("Location"))
}

func TestIsolationUploadSessionHijack(t *testing.T) {
	f := newIsolationFixture(t)
	r := f.p.do(http.MethodPost, "/v2/"+repoB+"/blobs/uploads/", f.tokB, nil, nil)
	require.Equal(t, http.StatusAccepted, r.Status)
	locB := r.Header.Get("Location")
	require.True(t, strings.HasPrefix(locB, "/v2/"+repoB+"/blobs/uploads/"), locB)
	assert.NotContains(t, locB, "gitpod-runner", "backend names never reach clients")
	assert.NotContains(t, locB, "_state")
	id := strings.TrimPrefix(locB, "/v2/"+repoB+"/blobs/uploads/")
	data := []byte("hijack")
	d := "sha256:" + sha(data)

	// alpha replays beta's session id under its own repository.
	for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodPut, http.MethodDelete} {
		r := f.p.do(m, "/v2/"+repoA+"/blobs/uploads/"+id+"?digest="+d, f.tokA, data, nil)
		assert.Equal(t, http.StatusNotFound, r.Status, m)
		assert.Equal(t, "BLOB_UPLOAD_UNKNOWN", r.code(), m)
	}
	// alpha under beta's path: no access at all.
	assert.Equal(t, http.StatusUnauthorized, f.p.do(http.MethodPatch, locB, f.tokA, data, nil).Status)
	// Another credential of beta itself (same project) cannot continue it either.
	other := f.p.pushToken(f.p.credential("beta", contract.PurposeCreate), repoB)
	assert.Equal(t, http.StatusNotFound, f.p.do(http.MethodPatch, locB, other, data, nil).Status)
	// Tampered ids (one ciphertext bit flipped) are unknown.
	raw, err := base64.RawURLEncoding.DecodeString(id)
	require.NoError(t, err)
	raw[len(raw)/2] ^= 1
	tampered := base64.RawURLEncoding.EncodeToString(raw)
	assert.Equal(t, http.StatusNotFound, f.p.do(http.MethodGet, "/v2/"+repoB+"/blobs/uploads/"+tampered, f.tokB, nil, nil).Status)
	// beta's session is moved to beta's prebuild repository: refused.
	tokBPre := f.p.token(f.credB, "repository:projects/beta/prebuild:pull,push").Token
	assert.Equal(t, http.StatusNotFound, f.p.do(http.MethodGet, "/v2/projects/beta/prebuild/blobs/uploads/"+id, tokBPre, nil, nil).Status)
	// The owner completes it.
	r = f.p.do(http.MethodPut, locB+"?digest="+d, f.tokB, data, nil)
	assert.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	assert.Equal(t, "/v2/"+repoB+"/blobs/"+d, r.Header.Get("Location"))
}

func TestIsolationCatalogAndReferrers(t *testing.T) {
	f := newIsolationFixture(t)
	r := f.p.do(http.MethodGet, "/v2/_catalog", f.tokA, nil, nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.NotContains(t, string(r.Body), "beta")
	assert.NotContains(t, string(r.Body), "push-records")
	assert.Contains(t, string(r.Body), repoA)
	assert.Equal(t, http.StatusUnauthorized, f.p.do(http.MethodGet, "/v2/_catalog", "", nil, nil).Status)

	own := f.p.do(http.MethodGet, "/v2/"+repoA+"/referrers/"+f.digB, f.tokA, nil, nil)
	assert.Equal(t, http.StatusNotFound, own.Status, "referrers are refused cleanly: clients fall back to the tag schema")
	assert.Equal(t, "UNSUPPORTED", own.code())
	assert.Equal(t, http.StatusUnauthorized, f.p.do(http.MethodGet, "/v2/"+repoB+"/referrers/"+f.digB, f.tokA, nil, nil).Status)
	// The tag list is rewritten to the client's name.
	tl := f.p.do(http.MethodGet, "/v2/"+repoA+"/tags/list", f.tokA, nil, nil)
	assert.JSONEq(t, `{"name":"`+repoA+`","tags":["v1"]}`, string(tl.Body))
}

func TestImmutableTagsEveryRoute(t *testing.T) {
	f := newIsolationFixture(t)
	p, tok := f.p, f.tokA
	m1, d1 := p.image(tok, repoA, "one")
	m2, d2 := p.image(tok, repoA, "two")
	require.Equal(t, http.StatusCreated, p.putManifest(tok, repoA, "key", m1).Status)
	// Same digest again: accepted (clients re-push).
	r := p.putManifest(tok, repoA, "key", m1)
	assert.Equal(t, http.StatusCreated, r.Status)
	assert.Equal(t, d1.String(), r.Header.Get("Docker-Content-Digest"))
	// Another digest by tag PUT: refused.
	r = p.putManifest(tok, repoA, "key", m2)
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Equal(t, "TAG_INVALID", r.code())
	// By digest PUT with ?tag=: refused.
	r = p.putManifest(tok, repoA, d2.String()+"?tag=key", m2)
	assert.NotEqual(t, http.StatusCreated, r.Status)
	// DELETE tag and DELETE digest with a push token: refused.
	for _, ref := range []string{"key", d1.String()} {
		r = p.do(http.MethodDelete, "/v2/"+repoA+"/manifests/"+ref, tok, nil, nil)
		assert.Equal(t, http.StatusMethodNotAllowed, r.Status)
		assert.Equal(t, "UNSUPPORTED", r.code())
	}
	r = p.do(http.MethodDelete, "/v2/"+repoA+"/blobs/sha256:"+sha([]byte("layer one")), tok, nil, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.Status)
	// The tag still holds the first digest.
	r = p.do(http.MethodHead, "/v2/"+repoA+"/manifests/key", tok, nil, map[string]string{"Accept": "application/vnd.oci.image.manifest.v1+json"})
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, d1.String(), r.Header.Get("Docker-Content-Digest"))
	// A token asking for delete never gets it.
	assert.Empty(t, p.token(f.credA, "repository:"+repoA+":delete").Scope)
}

func TestPurposes(t *testing.T) {
	p := startProxy(t, nil)
	create := p.pushToken(p.credential("alpha", contract.PurposeCreate), repoA)
	m, d := p.image(create, repoA, "x")
	require.Equal(t, http.StatusCreated, p.putManifest(create, repoA, "k", m).Status)
	for _, purpose := range []contract.Purpose{contract.PurposeRebuild, contract.PurposeRefresh} {
		c := p.credential("alpha", purpose)
		tr := p.token(c, "repository:"+repoA+":pull,push")
		assert.Equal(t, "repository:"+repoA+":pull", tr.Scope, purpose)
		r := p.do(http.MethodGet, "/v2/"+repoA+"/manifests/k", tr.Token, nil, map[string]string{"Accept": "application/vnd.oci.image.manifest.v1+json"})
		assert.Equal(t, http.StatusOK, r.Status)
		assert.Equal(t, d.String(), r.Header.Get("Docker-Content-Digest"))
		for _, req := range []struct{ m, path string }{
			{http.MethodPost, "/v2/" + repoA + "/blobs/uploads/"},
			{http.MethodPut, "/v2/" + repoA + "/manifests/k2"},
		} {
			r := p.do(req.m, req.path, tr.Token, m, nil)
			assert.Equal(t, http.StatusUnauthorized, r.Status, "%s may not push", purpose)
			assert.Contains(t, r.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
		}
	}
}

func TestCacheSwitch(t *testing.T) {
	off := false
	p := startProxy(t, func(c *config.Config) { c.Cache.Enabled = &off })
	tok := p.pushToken(p.credential("alpha", contract.PurposeCreate), repoA)
	for _, req := range []struct{ m, path string }{
		{http.MethodGet, "/v2/" + repoA + "/manifests/k"},
		{http.MethodPost, "/v2/" + repoA + "/blobs/uploads/"},
	} {
		r := p.do(req.m, req.path, tok, nil, nil)
		assert.Equal(t, http.StatusForbidden, r.Status)
		assert.Equal(t, "DENIED", r.code())
		assert.Contains(t, string(r.Body), "cache is disabled")
	}

	// Prebuild repositories are not affected by the image-cache switch:
	// a prebuild is pushed and pulled back.
	pre := p.pushToken(p.credential("alpha", contract.PurposeCreate), repoAPre)
	m, d := p.image(pre, repoAPre, "switch-off")
	require.Equal(t, http.StatusCreated, p.putManifest(pre, repoAPre, "pb", m).Status)
	r := p.do(http.MethodGet, "/v2/"+repoAPre+"/manifests/pb", pre, nil, map[string]string{"Accept": "application/vnd.oci.image.manifest.v1+json"})
	assert.Equal(t, http.StatusOK, r.Status, string(r.Body))
	assert.Equal(t, d.String(), r.Header.Get("Docker-Content-Digest"))
	// A mount from the image cache into the prebuild repository is refused too.
	r = p.do(http.MethodPost, "/v2/"+repoAPre+"/blobs/uploads/?mount="+d.String()+"&from="+repoA, pre, nil, nil)
	assert.Equal(t, http.StatusForbidden, r.Status, string(r.Body))
}

func TestTagListPagination(t *testing.T) {
	p := startProxy(t, func(c *config.Config) {
		c.Backend.Repository = "gitpod-runner-{runner}/projects/{project}/{repository}"
		c.Backend.Runner = "r1"
	})
	tok := p.pushToken(p.credential("alpha", contract.PurposeCreate), repoA)
	m, _ := p.image(tok, repoA, "page")
	for _, tag := range []string{"a", "b", "c"} {
		require.Equal(t, http.StatusCreated, p.putManifest(tok, repoA, tag, m).Status)
	}
	r := p.do(http.MethodGet, "/v2/"+repoA+"/tags/list?n=2", tok, nil, nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.JSONEq(t, `{"name":"`+repoA+`","tags":["a","b"]}`, string(r.Body))
	link := r.Header.Get("Link")
	assert.Equal(t, `</v2/`+repoA+`/tags/list?last=b&n=2>; rel="next"`, link, "the next link names the client repository")
	next := strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
	r = p.do(http.MethodGet, next, tok, nil, nil)
	assert.JSONEq(t, `{"name":"`+repoA+`","tags":["c"]}`, string(r.Body))
	assert.Empty(t, r.Header.Get("Link"))
	r = p.do(http.MethodGet, "/v2/"+repoA+"/tags/list?n=0", tok, nil, nil)
	assert.JSONEq(t, `{"name":"`+repoA+`","tags":[]}`, string(r.Body))
}
