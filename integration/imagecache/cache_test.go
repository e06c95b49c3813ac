package imagecache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
)

// Two runners of one project: the first misses, builds and pushes with its
// build time; the second hits, reports that time as saved, and has the
// image in its containerd without building. The first runs the frontend
// from its image on buildkitd, the second in-process: both agree on the key.
func TestSecondRunnerHits(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(nil)

	first := e.runner("a")
	first.cache.Builder.(*imagecache.BuildKit).FrontendImage = e.s.FrontendImage(t)
	res, err := first.get(t, ws, "p1", contract.PurposeCreate)
	require.NoError(t, err, first.logs.String())
	require.Equal(t, imagecache.OutcomeMiss, res.Outcome)
	require.True(t, res.Pushed)
	require.Positive(t, res.BuildSeconds)
	require.True(t, first.hasImage(t, res.Image), "the built image is in the first runner's containerd")

	second := e.runner("b")
	hit, err := second.get(t, ws, "p1", contract.PurposeCreate)
	require.NoError(t, err, second.logs.String())
	require.Equal(t, imagecache.OutcomeHit, hit.Outcome)
	assert.Equal(t, res.Key, hit.Key)
	assert.Equal(t, res.Image, hit.Image)
	assert.InDelta(t, res.BuildSeconds, hit.SavedSeconds, 0.1, "the saving is the recorded build time")
	assert.Contains(t, second.logs.String(), imagecache.HitMessage(time.Duration(hit.SavedSeconds*float64(time.Second))))
	assert.NotContains(t, hit.Phases, "build")
	assert.True(t, second.hasImage(t, hit.Image), "the hit is pulled into the second runner's containerd")
}

func TestRebuildMissNeverPushes(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(nil)
	r := e.runner("a")
	res, err := r.get(t, ws, "p1", contract.PurposeRebuild)
	require.NoError(t, err, r.logs.String())
	assert.Equal(t, imagecache.OutcomeMiss, res.Outcome)
	assert.False(t, res.Pushed)
	assert.Contains(t, r.logs.String(), "pull-only")
	assert.False(t, e.cached("p1", res.Key), "a rebuild never pushes")
	assert.True(t, r.hasImage(t, "devcache.local/it:latest"), "the rebuilt image is still usable")
}

func TestOtherProjectNeverSeesTheImage(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(nil)
	res, err := e.runner("a").get(t, ws, "p1", contract.PurposeCreate)
	require.NoError(t, err)
	require.True(t, e.cached("p1", res.Key))

	other, err := e.runner("b").get(t, ws, "p2", contract.PurposeCreate)
	require.NoError(t, err)
	assert.Equal(t, imagecache.OutcomeMiss, other.Outcome, "same configuration, other project: a miss")
	assert.Equal(t, res.Key, other.Key)
	assert.NotEqual(t, res.Image, other.Image)
}

// Each input of the key misses when it changes; what the key leaves out
// (other files of the context, a Dockerfile's FROM tag) hits.
func TestWhatMissesAndWhatHits(t *testing.T) {
	e := newEnv(t)
	r := e.runner("a")
	build := func(ws string) *imagecache.Result {
		t.Helper()
		res, err := r.get(t, ws, "p1", contract.PurposeCreate)
		require.NoError(t, err, r.logs.String())
		return res
	}

	ws := e.workspace(nil)
	first := build(ws)
	require.Equal(t, imagecache.OutcomeMiss, first.Outcome)

	write(t, ws, map[string]string{"README.md": "changed\n", "src/main.go": "package main\n"})
	assert.Equal(t, imagecache.OutcomeHit, build(ws).Outcome, "other files of the context are not inputs")

	write(t, ws, map[string]string{".devcontainer/hello/install.sh": "#!/bin/sh\necho changed > /etc/greeting\n"})
	assert.Equal(t, imagecache.OutcomeMiss, build(ws).Outcome, "a Feature's content is an input")

	write(t, ws, map[string]string{".devcontainer/devcontainer.json": fmt.Sprintf(`{"image": %q, "features": {"./hello": {"greeting": "bonjour"}}}`, e.base)})
	assert.Equal(t, imagecache.OutcomeMiss, build(ws).Outcome, "devcontainer.json's bytes are an input")
	same := build(ws)
	assert.Equal(t, imagecache.OutcomeHit, same.Outcome)

	// Move the directly referenced image's tag: a miss.
	require.NoError(t, crane.Copy(e.s.DebianImage(), e.base, crane.Insecure))
	assert.Equal(t, imagecache.OutcomeMiss, build(ws).Outcome, "the referenced image's digest is an input")

	// A Dockerfile config: its bytes are an input, its FROM tag is not.
	dfws := e.workspace(map[string]string{
		".devcontainer/devcontainer.json": `{"build": {"dockerfile": "Dockerfile"}}`,
		".devcontainer/Dockerfile":        fmt.Sprintf("FROM %s\nRUN echo one > /one\n", e.base),
	})
	assert.Equal(t, imagecache.OutcomeMiss, build(dfws).Outcome)
	require.NoError(t, crane.Copy(e.s.BusyboxImage(), e.base, crane.Insecure))
	assert.Equal(t, imagecache.OutcomeHit, build(dfws).Outcome, "a moved FROM tag is not an input (documented)")
	write(t, dfws, map[string]string{".devcontainer/Dockerfile": fmt.Sprintf("FROM %s\nRUN echo two > /two\n", e.base)})
	assert.Equal(t, imagecache.OutcomeMiss, build(dfws).Outcome, "the Dockerfile's bytes are an input")
}

func TestCacheDisabledNeitherLooksUpNorPushes(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(nil)
	r := e.runner("a")
	r.cache.Disabled = true
	before := e.proxy.requests.Load()
	res, err := r.get(t, ws, "p1", contract.PurposeCreate)
	require.NoError(t, err)
	assert.Equal(t, imagecache.OutcomeBypass, res.Outcome)
	assert.Equal(t, 1, strings.Count(r.logs.String(), "disabled on this runner"), r.logs.String())
	assert.True(t, r.hasImage(t, "devcache.local/it:latest"), "the environment gets its image")
	assert.False(t, res.Pushed)
	// No credentials, no lookup, no push: the proxy hears nothing. The key
	// is still computed (documented: a config that cannot be built fails
	// before any build), so the cache can be checked for it.
	assert.Equal(t, before, e.proxy.requests.Load(), "requests to the proxy while the cache is disabled")
	assert.NotContains(t, res.Phases, imagecache.PhaseCredentials)
	assert.NotContains(t, res.Phases, imagecache.PhaseLookup)
	require.NotEmpty(t, res.Key)
	assert.False(t, e.cached("p1", res.Key), "nothing was pushed while disabled")

	r.cache.Disabled = false
	res, err = r.get(t, ws, "p1", contract.PurposeCreate)
	require.NoError(t, err)
	assert.Equal(t, imagecache.OutcomeMiss, res.Outcome, "nothing was pushed while disabled")
}

// The proxy goes away after issuing credentials: the lookup fails, the
// environment is built anyway and the log says why the cache was skipped.
func TestProxyDownMidFlow(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(nil)
	r := e.runner("a")
	r.cache.Credentials = credentialsFunc(func(ctx context.Context, p string, purpose contract.Purpose) (*imagecache.HostCredentials, error) {
		c, err := e.proxy.Issue(ctx, p, purpose)
		e.proxy.srv.Close()
		return c, err
	})
	res, err := r.get(t, ws, "p1", contract.PurposeCreate)
	require.NoError(t, err, r.logs.String())
	assert.Equal(t, imagecache.OutcomeBypass, res.Outcome)
	assert.Contains(t, res.Reason, "cache lookup failed")
	assert.False(t, res.Pushed)
	assert.True(t, r.hasImage(t, "devcache.local/it:latest"))
}

// A push the proxy refuses (the credential is another project's) is
// explained, and the environment still gets its image.
func TestPushRefused(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(nil)
	r := e.runner("a")
	r.cache.Credentials = credentialsFunc(func(ctx context.Context, _ string, purpose contract.Purpose) (*imagecache.HostCredentials, error) {
		return e.proxy.Issue(ctx, "someone-else", purpose)
	})
	res, err := r.get(t, ws, "p1", contract.PurposeCreate)
	require.NoError(t, err, r.logs.String())
	assert.False(t, res.Pushed)
	assert.Contains(t, res.Reason, "push to the cache refused")
	assert.False(t, e.cached("p1", res.Key))
	assert.True(t, r.hasImage(t, "devcache.local/it:latest"))
}

// A build interrupted before it finishes leaves no tag in the cache.
func TestInterruptedBuildLeavesNoTag(t *testing.T) {
	e := newEnv(t)
	ws := e.workspace(map[string]string{".devcontainer/hello/install.sh": "#!/bin/sh\nsleep 60\n"})
	r := e.runner("a")
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Second)
	defer cancel()
	res, err := r.cache.Get(ctx, imagecache.Request{
		Workspace: imagecache.Workspace{Folder: ws, Config: ws + "/.devcontainer/devcontainer.json"},
		Project:   "p1", Purpose: contract.PurposeCreate,
	})
	require.Error(t, err)
	require.True(t, errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil, "%v", err)
	require.NotEmpty(t, res.Key)
	assert.False(t, e.cached("p1", res.Key), "no half-pushed tag")
}

type credentialsFunc func(context.Context, string, contract.Purpose) (*imagecache.HostCredentials, error)

func (f credentialsFunc) Issue(ctx context.Context, p string, purpose contract.Purpose) (*imagecache.HostCredentials, error) {
	return f(ctx, p, purpose)
}
