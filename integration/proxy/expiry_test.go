package proxy

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/config"
	"github.com/devcache/devcache/registryproxy/gc"
)

const manifestAccept = "application/vnd.oci.image.manifest.v1+json"

// backendHead asks the backing registry directly (bypassing the proxy).
func backendHead(t *testing.T, p *proxy, path string) (int, digest.Digest) {
	req, _ := http.NewRequest(http.MethodHead, path, nil)
	req.Header.Set("Accept", manifestAccept)
	resp, err := p.svc.Backend.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode, digest.Digest(resp.Header.Get("Docker-Content-Digest"))
}

func TestExpiryAndGC(t *testing.T) {
	const expiry = 4 * time.Second
	p := startProxy(t, func(c *config.Config) { c.Cache.Expiry = config.Duration{Duration: expiry} })
	tok := p.pushToken(p.credential("alpha", contract.PurposeCreate), repoA)
	get := func(tag string) reply {
		return p.do(http.MethodGet, "/v2/"+repoA+"/manifests/"+tag, tok, nil, map[string]string{"Accept": manifestAccept})
	}
	mOld, dOld := p.image(tok, repoA, "old")
	mRe, _ := p.image(tok, repoA, "re")
	mNew, dNew := p.image(tok, repoA, "new")
	require.Equal(t, http.StatusCreated, p.putManifest(tok, repoA, "old", mOld).Status)
	require.Equal(t, http.StatusCreated, p.putManifest(tok, repoA, "replaced", mOld).Status)
	require.Equal(t, http.StatusOK, get("old").Status)
	// Immutable while live.
	require.Equal(t, http.StatusBadRequest, p.putManifest(tok, repoA, "replaced", mRe).Status)

	time.Sleep(expiry + 200*time.Millisecond)
	require.Equal(t, http.StatusCreated, p.putManifest(tok, repoA, "new", mNew).Status)

	// Expired: not served (404 like an absent tag), though still stored.
	r := get("old")
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Equal(t, "MANIFEST_UNKNOWN", r.code())
	st, d := backendHead(t, p, "/v2/"+repoA+"/manifests/old")
	require.Equal(t, http.StatusOK, st, "expiry on read does not depend on the sweeper")
	require.Equal(t, dOld, d)
	assert.Equal(t, http.StatusOK, get("new").Status)
	tl := p.do(http.MethodGet, "/v2/"+repoA+"/tags/list", tok, nil, nil)
	assert.JSONEq(t, `{"name":"`+repoA+`","tags":["new"]}`, string(tl.Body), "expired tags are not listed")
	// An expired tag may be pushed again with another digest (a rebuild after expiry).
	require.Equal(t, http.StatusCreated, p.putManifest(tok, repoA, "replaced", mRe).Status)
	sweepAt := time.Now() // "old" is past its expiry here; "new" and "replaced" are not
	assert.Equal(t, http.StatusOK, get("replaced").Status)

	// Several sweepers at once (replicas): all succeed, the image is deleted once.
	var wg sync.WaitGroup
	reports := make([]gc.Report, 3)
	errs := make([]error, 3)
	for i := range reports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = gc.Sweep(context.Background(), p.svc.Records, p.svc.Backend, p.svc.Layout.Namer, p.svc.Config.Expiry(), sweepAt)
		}()
	}
	wg.Wait()
	deleted := 0
	for i := range reports {
		require.NoError(t, errs[i])
		deleted += reports[i].Deleted
	}
	assert.GreaterOrEqual(t, deleted, 1)
	st, _ = backendHead(t, p, "/v2/"+repoA+"/manifests/old")
	assert.Equal(t, http.StatusNotFound, st, "the expired tag is gone from the backend")
	st, _ = backendHead(t, p, "/v2/"+repoA+"/manifests/"+dOld.String())
	assert.Equal(t, http.StatusNotFound, st, "and its manifest, which no live tag references")
	st, d = backendHead(t, p, "/v2/"+repoA+"/manifests/new")
	assert.Equal(t, http.StatusOK, st)
	assert.Equal(t, dNew, d)
	st, _ = backendHead(t, p, "/v2/"+repoA+"/manifests/replaced")
	assert.Equal(t, http.StatusOK, st, "the re-pushed tag survives the sweep")

	// A second sweep finds nothing left to do.
	rep, err := gc.Sweep(context.Background(), p.svc.Records, p.svc.Backend, p.svc.Layout.Namer, p.svc.Config.Expiry(), sweepAt)
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Deleted)
	assert.Equal(t, 2, rep.Records)
}

// Prebuilds expire on their own schedule (7 days by default), image caches
// on theirs (30 days): one sweep deletes the expired prebuild and keeps the
// cached image pushed at the same moment.
func TestPrebuildExpiry(t *testing.T) {
	const prebuildExpiry = 3 * time.Second
	p := startProxy(t, func(c *config.Config) { c.Cache.PrebuildExpiry = config.Duration{Duration: prebuildExpiry} })
	cred := p.credential("alpha", contract.PurposeCreate)
	const repoPrebuild = "projects/alpha/prebuild"
	cacheTok, prebuildTok := p.pushToken(cred, repoA), p.pushToken(cred, repoPrebuild)
	mc, _ := p.image(cacheTok, repoA, "cache")
	mp, _ := p.image(prebuildTok, repoPrebuild, "prebuild")
	require.Equal(t, http.StatusCreated, p.putManifest(cacheTok, repoA, "k1", mc).Status)
	require.Equal(t, http.StatusCreated, p.putManifest(prebuildTok, repoPrebuild, "pb1", mp).Status)
	get := func(tok, repo, tag string) int {
		return p.do(http.MethodGet, "/v2/"+repo+"/manifests/"+tag, tok, nil, map[string]string{"Accept": manifestAccept}).Status
	}
	require.Equal(t, http.StatusOK, get(prebuildTok, repoPrebuild, "pb1"))

	time.Sleep(prebuildExpiry + 200*time.Millisecond)
	assert.Equal(t, http.StatusNotFound, get(prebuildTok, repoPrebuild, "pb1"), "the prebuild expired")
	assert.Equal(t, http.StatusOK, get(cacheTok, repoA, "k1"), "the cached image pushed with it did not")

	rep, err := gc.Sweep(context.Background(), p.svc.Records, p.svc.Backend, p.svc.Layout.Namer, p.svc.Config.Expiry(), time.Now())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Expired)
	st, _ := backendHead(t, p, "/v2/"+repoPrebuild+"/manifests/pb1")
	assert.Equal(t, http.StatusNotFound, st, "the sweeper deleted the prebuild")
	st, _ = backendHead(t, p, "/v2/"+repoA+"/manifests/k1")
	assert.Equal(t, http.StatusOK, st, "and kept the cached image")
}
