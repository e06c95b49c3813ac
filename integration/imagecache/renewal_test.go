package imagecache

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
)

// slowFeatureWorkspace is a project whose one Feature sleeps 30 s: three
// times the proxy's 10 s credential lifetime (startProxyShortLived).
func slowFeatureWorkspace(e *env) string {
	return e.workspace(map[string]string{
		".devcontainer/hello/install.sh": fmt.Sprintf("#!/bin/sh\nset -e\n# %d\nsleep 30\necho \"$GREETING\" > /etc/greeting\n", time.Now().UnixNano()),
	})
}

// purposes records the purposes credentials are issued for.
type purposes struct {
	*proxy
	mu   sync.Mutex
	seen []contract.Purpose
}

func (p *purposes) Issue(ctx context.Context, project string, purpose contract.Purpose) (*imagecache.HostCredentials, error) {
	p.mu.Lock()
	p.seen = append(p.seen, purpose)
	p.mu.Unlock()
	return p.proxy.Issue(ctx, project, purpose)
}

func (p *purposes) list() []contract.Purpose {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]contract.Purpose(nil), p.seen...)
}

// A build three credential lifetimes long pushes its image: the session
// auth renews the credential before the push, and a second runner hits.
func TestLongBuildRenewsItsCredential(t *testing.T) {
	e := &env{t: t, s: testenvGet(t), proxy: startProxyShortLived(t)}
	e.base = newBase(t, e.s)
	ws := slowFeatureWorkspace(e)

	first := e.runner("a")
	res, err := first.get(t, ws, "p1", contract.PurposeCreate)
	require.NoError(t, err, first.logs.String())
	require.Equal(t, imagecache.OutcomeMiss, res.Outcome)
	require.Greater(t, res.BuildSeconds, 30.0)
	require.True(t, res.Pushed, "pushed after the first credential expired: %v\n%s", res.Warnings, first.logs.String())
	assert.Positive(t, res.Renewals)

	second := e.runner("b")
	hit, err := second.get(t, ws, "p1", contract.PurposeCreate)
	require.NoError(t, err, second.logs.String())
	require.Equal(t, imagecache.OutcomeHit, hit.Outcome)
	assert.True(t, second.hasImage(t, hit.Image))
}

// The same build with renewal off (the test hook) loses its push: the
// credential of the start has expired when the image is pushed. This is
// what TestLongBuildRenewsItsCredential would see without renewal.
func TestLongBuildWithoutRenewalLosesItsPush(t *testing.T) {
	e := &env{t: t, s: testenvGet(t), proxy: startProxyShortLived(t)}
	e.base = newBase(t, e.s)
	ws := slowFeatureWorkspace(e)

	r := e.runner("a")
	r.cache.NoRenewal = true
	res, err := r.get(t, ws, "p1", contract.PurposeCreate)
	// BuildKit fetches the push's token with the expired credential: the
	// build fails, or at best is not pushed.
	require.True(t, err != nil || !res.Pushed, "without renewal the push must fail: %s", r.logs.String())
	if err != nil {
		assert.ErrorContains(t, err, "unauthorized")
	}
	assert.Zero(t, res.Renewals)
	assert.False(t, e.cached("p1", res.Key), "nothing is cached")
}

// A rebuild that hits asks only for pull-only rebuild credentials (its
// renewals too), uses the image, and writes nothing to the proxy.
func TestRebuildHitIsPullOnly(t *testing.T) {
	e := &env{t: t, s: testenvGet(t), proxy: startProxyShortLived(t)}
	e.base = newBase(t, e.s)
	ws := e.workspace(nil)
	_, err := e.runner("a").get(t, ws, "p1", contract.PurposeCreate)
	require.NoError(t, err)

	r := e.runner("b")
	rec := &purposes{proxy: e.proxy}
	r.cache.Credentials = rec
	writes := e.proxy.writes.Load()
	res, err := r.get(t, ws, "p1", contract.PurposeRebuild)
	require.NoError(t, err, r.logs.String())
	require.Equal(t, imagecache.OutcomeHit, res.Outcome)
	assert.True(t, r.hasImage(t, res.Image), "the hit is in the runner's containerd")
	assert.False(t, res.Pushed)
	assert.Equal(t, writes, e.proxy.writes.Load(), "a rebuild writes nothing")
	require.NotEmpty(t, rec.list())
	for _, p := range rec.list() {
		assert.Equal(t, contract.PurposeRebuild, p)
	}
}
