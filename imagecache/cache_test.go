package imagecache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/internal/contract"
)

// The fakes below stand in for the proxy, buildkitd and containerd so the
// flow's decisions can be checked one by one; integration/imagecache runs
// the same flow against the real parts.

type fakeKeyer struct{ err error }

func (k fakeKeyer) Inputs(context.Context, Workspace, Variables, []HostCredentials) (*cachekey.Inputs, error) {
	if k.err != nil {
		return nil, k.err
	}
	return &cachekey.Inputs{DevcontainerJSON: []byte(`{"image":"x"}`), ImageDigest: digest.Digest("sha256:" + fmt.Sprintf("%064d", 1))}, nil
}

type fakeCreds struct {
	err    error
	issued []contract.Purpose
}

func (c *fakeCreds) Issue(_ context.Context, _ string, p contract.Purpose) (*HostCredentials, error) {
	c.issued = append(c.issued, p)
	if c.err != nil {
		return nil, c.err
	}
	return &HostCredentials{Host: "proxy:5000", Username: "u", Password: string(p)}, nil
}

type fakeRegistry struct {
	images map[string]*CachedImage
	err    error
	mu     sync.Mutex // cacheSources looks candidates up concurrently
	// lookups counts every call: Lookup and Tags.
	lookups int
}

func (r *fakeRegistry) Lookup(_ context.Context, ref string, _ *HostCredentials) (*CachedImage, error) {
	r.mu.Lock()
	r.lookups++
	r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	if img, ok := r.images[ref]; ok {
		return img, nil
	}
	return nil, fmt.Errorf("%s: %w", ref, cerrdefs.ErrNotFound)
}

func (r *fakeRegistry) Tags(context.Context, string, *HostCredentials) ([]string, error) {
	r.mu.Lock()
	r.lookups++
	r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	return nil, nil
}

type fakeBuilder struct {
	reqs    []BuildRequest
	pushErr error
}

func (b *fakeBuilder) Build(_ context.Context, req BuildRequest) (*BuildResult, error) {
	b.reqs = append(b.reqs, req)
	if req.Push != "" && b.pushErr != nil {
		return nil, b.pushErr
	}
	if req.ExportOCI != nil {
		w, err := req.ExportOCI(context.Background())
		if err != nil {
			return nil, err
		}
		_, _ = io.WriteString(w, "oci-archive")
		_ = w.Close()
	}
	return &BuildResult{Digest: "sha256:built", Duration: 90 * time.Second, Pushed: req.Push != ""}, nil
}

type fakeRuntime struct {
	pulled, imported []string
	// pull is what Pull reports (default: a full pull of one layer).
	pull *PullInfo
}

func (r *fakeRuntime) Pull(_ context.Context, ref string, _ CredentialSource) (*PullInfo, error) {
	r.pulled = append(r.pulled, ref)
	if r.pull != nil {
		return r.pull, nil
	}
	return &PullInfo{Digest: "sha256:pulled", Mode: PullFull, Layers: []LayerPull{{Digest: "sha256:l1", Mode: PullFull}}}, nil
}

func (r *fakeRuntime) Import(_ context.Context, ref string, rd io.Reader) (string, error) {
	b, err := io.ReadAll(rd)
	if err != nil {
		return "", err
	}
	if string(b) != "oci-archive" {
		return "", fmt.Errorf("bad archive %q", b)
	}
	r.imported = append(r.imported, ref)
	return "sha256:imported", nil
}

func newCache() (*Cache, *fakeCreds, *fakeRegistry, *fakeBuilder, *fakeRuntime) {
	cr, reg, b, rt := &fakeCreds{}, &fakeRegistry{images: map[string]*CachedImage{}}, &fakeBuilder{}, &fakeRuntime{}
	return &Cache{Keyer: fakeKeyer{}, Credentials: cr, Registry: reg, Builder: b, Runtime: rt, ProxyHost: "proxy:5000"}, cr, reg, b, rt
}

var req = Request{Workspace: Workspace{Folder: "/ws", Config: "/ws/.devcontainer/devcontainer.json"}, Project: "p1", Purpose: contract.PurposeCreate, LocalName: "local/p1:dev"}

// newWorkspace writes a devcontainer.json so Get can read it.
func newWorkspace(t *testing.T) Request {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, ".devcontainer", "devcontainer.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(cfg), 0o755))
	require.NoError(t, os.WriteFile(cfg, []byte(`{"image": "x", "containerEnv": {"U": "${localEnv:DEVCACHE_TEST_USER}"}}`), 0o644))
	r := req
	r.Workspace = Workspace{Folder: dir, Config: cfg}
	return r
}

func cacheRef(t *testing.T) string {
	in, err := fakeKeyer{}.Inputs(context.Background(), Workspace{}, Variables{}, nil)
	require.NoError(t, err)
	return "proxy:5000/projects/p1/image-build:" + in.Key().Encoded()
}

func TestMissCreateBuildsPushesAndImports(t *testing.T) {
	t.Setenv("DEVCACHE_TEST_USER", "dev")
	c, cr, _, b, rt := newCache()
	res, err := c.Get(context.Background(), newWorkspace(t))
	require.NoError(t, err)
	assert.Equal(t, OutcomeMiss, res.Outcome)
	assert.Equal(t, []contract.Purpose{contract.PurposeCreate}, cr.issued)
	require.Len(t, b.reqs, 1)
	assert.Equal(t, cacheRef(t), b.reqs[0].Push)
	assert.Equal(t, ".devcontainer", filepath.Base(b.reqs[0].ConfigDir))
	assert.Equal(t, "dev", b.reqs[0].FrontendOpts["build-arg:localEnv:DEVCACHE_TEST_USER"], "the frontend gets the variables the key was computed with")
	assert.Equal(t, "devcontainer.json", b.reqs[0].ConfigFile)
	assert.True(t, res.Pushed)
	assert.InDelta(t, 90, res.BuildSeconds, 0.001)
	assert.Equal(t, []string{cacheRef(t)}, rt.imported)
	assert.Contains(t, res.Phases, "build")
}

func TestHitPullsAndReportsSaving(t *testing.T) {
	c, _, reg, b, rt := newCache()
	reg.images[cacheRef(t)] = &CachedImage{Ref: cacheRef(t), Digest: "sha256:cached", Labels: map[string]string{BuildSecondsLabel: "225"}}
	res, err := c.Get(context.Background(), newWorkspace(t))
	require.NoError(t, err)
	assert.Equal(t, OutcomeHit, res.Outcome)
	assert.InDelta(t, 225, res.SavedSeconds, 0.001)
	assert.Empty(t, b.reqs, "a hit builds nothing")
	assert.Equal(t, []string{cacheRef(t)}, rt.pulled)
}

// TestHitFallbackSaidOnce: a hit that could not be pulled lazily says so
// once, naming the image, the first such layer and the reason; the result
// lists every layer.
func TestHitFallbackSaidOnce(t *testing.T) {
	c, _, reg, _, rt := newCache()
	reg.images[cacheRef(t)] = &CachedImage{Ref: cacheRef(t), Digest: "sha256:cached"}
	rt.pull = &PullInfo{Mode: PullMixed, Layers: []LayerPull{
		{Digest: "sha256:base", Mode: PullLazy},
		{Digest: "sha256:l2", Mode: PullFull, Reason: "the registry does not serve range requests: range request answered 200 OK"},
		{Digest: "sha256:l3", Mode: PullFull, Reason: "the registry does not serve range requests: range request answered 200 OK"},
	}}
	res, err := c.Get(context.Background(), newWorkspace(t))
	require.NoError(t, err)
	require.Equal(t, PullMixed, res.Pull.Mode)
	require.Len(t, res.Warnings, 1)
	assert.Equal(t, "image "+cacheRef(t)+" was pulled in full before the start, not lazily: layer sha256:l2: the registry does not serve range requests: range request answered 200 OK", res.Warnings[0])

	rt.pull = &PullInfo{Mode: PullLazy, Layers: []LayerPull{{Digest: "sha256:base", Mode: PullLazy}}}
	res, err = c.Get(context.Background(), newWorkspace(t))
	require.NoError(t, err)
	assert.Equal(t, PullLazy, res.Pull.Mode)
	assert.Empty(t, res.Warnings, "a lazy pull says nothing")
}

func TestMissRebuildNeverPushes(t *testing.T) {
	c, cr, _, b, rt := newCache()
	r := newWorkspace(t)
	r.Purpose = contract.PurposeRebuild
	res, err := c.Get(context.Background(), r)
	require.NoError(t, err)
	assert.Equal(t, []contract.Purpose{contract.PurposeRebuild}, cr.issued)
	require.Len(t, b.reqs, 1)
	assert.Empty(t, b.reqs[0].Push)
	assert.False(t, res.Pushed)
	assert.Contains(t, res.Reason, "pull-only")
	assert.Equal(t, []string{"local/p1:dev"}, rt.imported)
}

func TestBypasses(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(*Cache, *Request)
		reason string
		// lookups is how many registry calls the bypass still makes.
		lookups int
		// warned: the reason is also a warning (a missing setting or a
		// failure); a choice (a switch, a flag) is not.
		warned bool
	}{
		"no project":         {func(_ *Cache, r *Request) { r.Project = "" }, "no project set (--project, $DEVCACHE_PROJECT)", 0, true},
		"no proxy":           {func(c *Cache, _ *Request) { c.ProxyHost = "" }, "no devcache-proxy set (--proxy, $DEVCACHE_PROXY)", 0, true},
		"runner switch":      {func(c *Cache, _ *Request) { c.Disabled = true }, "disabled on this runner", 0, false},
		"--skip-image-cache": {func(_ *Cache, r *Request) { r.SkipImageCache = true }, "--skip-image-cache", 0, false},
		"proxy down":         {func(c *Cache, _ *Request) { c.Credentials.(*fakeCreds).err = errors.New("dial tcp: refused") }, "devcache-proxy unreachable", 0, true},
		"registry down":      {func(c *Cache, _ *Request) { c.Registry.(*fakeRegistry).err = cerrdefs.ErrUnavailable }, "cache lookup failed", 1, true},
		"proxy switch off": {func(c *Cache, _ *Request) {
			c.Credentials.(*fakeCreds).err = fmt.Errorf("the image cache is disabled on this runner: %w", cerrdefs.ErrPermissionDenied)
		}, "building without the cache, no lookup, no push: the image cache is disabled on this runner", 0, false},
	} {
		t.Run(name, func(t *testing.T) {
			c, _, reg, b, _ := newCache()
			r := newWorkspace(t)
			tc.mutate(c, &r)
			res, err := c.Get(context.Background(), r)
			require.NoError(t, err)
			assert.Equal(t, OutcomeBypass, res.Outcome)
			assert.Contains(t, res.Reason, tc.reason)
			require.Len(t, b.reqs, 1, "the environment is still built")
			assert.Empty(t, b.reqs[0].Push, "nothing is pushed when the cache is bypassed")
			assert.Equal(t, tc.lookups, reg.lookups, "registry calls")
			if tc.warned {
				assert.Equal(t, []string{res.Reason}, res.Warnings, "the reason is the one warning")
			} else {
				assert.Empty(t, res.Warnings, "a choice is not a warning")
			}
		})
	}
}

func TestInvalidConfigFails(t *testing.T) {
	c, _, _, b, _ := newCache()
	c.Keyer = fakeKeyer{err: fmt.Errorf("devcontainer.json:3:5: bad: %w", cerrdefs.ErrInvalidArgument)}
	res, err := c.Get(context.Background(), newWorkspace(t))
	require.ErrorContains(t, err, "devcontainer.json:3:5")
	assert.Empty(t, b.reqs)
	assert.Equal(t, OutcomeError, res.Outcome)
	assert.Equal(t, PhaseKey, res.Phase)
	assert.Equal(t, 3, res.ExitCode)
}

// A configuration whose key cannot be computed fails once, before any
// build, whether the cache is used or bypassed; the exit code tells a
// registry that failed from a reference that does not exist.
func TestUnresolvableConfigFailsBeforeTheBuild(t *testing.T) {
	for name, tc := range map[string]struct {
		err      error
		bypass   func(*Cache, *Request)
		exitCode int
	}{
		"feature registry down":   {fmt.Errorf("feature x: %w", cerrdefs.ErrUnavailable), nil, 4},
		"feature tag missing":     {fmt.Errorf("feature x: %w", cerrdefs.ErrNotFound), nil, 3},
		"compose":                 {fmt.Errorf("dockerComposeFile: %w", cerrdefs.ErrNotImplemented), nil, 6},
		"bypassed, tag missing":   {fmt.Errorf("feature x: %w", cerrdefs.ErrNotFound), func(_ *Cache, r *Request) { r.Project = "" }, 3},
		"proxy down, tag missing": {fmt.Errorf("feature x: %w", cerrdefs.ErrNotFound), func(c *Cache, _ *Request) { c.Credentials.(*fakeCreds).err = errors.New("refused") }, 3},
	} {
		t.Run(name, func(t *testing.T) {
			c, _, reg, b, _ := newCache()
			c.Keyer = fakeKeyer{err: tc.err}
			r := newWorkspace(t)
			if tc.bypass != nil {
				tc.bypass(c, &r)
			}
			res, err := c.Get(context.Background(), r)
			require.ErrorIs(t, err, tc.err)
			assert.Empty(t, b.reqs, "no build starts")
			assert.Zero(t, reg.lookups)
			assert.Equal(t, OutcomeError, res.Outcome)
			assert.Equal(t, PhaseKey, res.Phase)
			assert.Equal(t, tc.exitCode, res.ExitCode)
			assert.Equal(t, err.Error(), res.Message)
		})
	}
}

func TestHitLineIsPlainOnStatus(t *testing.T) {
	c, _, reg, _, _ := newCache()
	var status strings.Builder
	c.Status = &status
	in, _ := fakeKeyer{}.Inputs(context.Background(), Workspace{}, Variables{}, nil)
	reg.images["proxy:5000/projects/p1/image-build:"+in.Key().Encoded()] = &CachedImage{Ref: "r", Digest: "d", Labels: map[string]string{BuildSecondsLabel: "85"}}
	res, err := c.Get(context.Background(), newWorkspace(t))
	require.NoError(t, err)
	require.Equal(t, OutcomeHit, res.Outcome)
	assert.Equal(t, "Using pre-built dev container (saved ~1m25s build time)\n", status.String())
}

func TestRefusedPushStillDeliversTheImage(t *testing.T) {
	c, _, _, b, rt := newCache()
	b.pushErr = errors.New("failed to push proxy:5000/projects/p1/image-build:x: denied: tag is immutable")
	res, err := c.Get(context.Background(), newWorkspace(t))
	require.NoError(t, err)
	assert.False(t, res.Pushed)
	assert.Contains(t, res.Reason, "tag is immutable")
	require.Len(t, b.reqs, 2)
	assert.Empty(t, b.reqs[1].Push)
	assert.Len(t, rt.imported, 1)
}

func TestBuildFailureIsReturned(t *testing.T) {
	c, _, _, b, _ := newCache()
	c.Builder = builderFunc(func(BuildRequest) (*BuildResult, error) {
		return nil, errors.New("devcontainer.json:4: unknown Feature option")
	})
	res, err := c.Get(context.Background(), newWorkspace(t))
	require.ErrorContains(t, err, "devcontainer.json:4")
	assert.Empty(t, b.reqs)
	assert.Equal(t, PhaseBuild, res.Phase)
	assert.Equal(t, 5, res.ExitCode)
}

type builderFunc func(BuildRequest) (*BuildResult, error)

func (f builderFunc) Build(_ context.Context, r BuildRequest) (*BuildResult, error) { return f(r) }

// A build that fails after opening the OCI export does not leave the
// runtime's import waiting on the pipe.
func TestFailedBuildClosesTheExport(t *testing.T) {
	c, _, _, _, rt := newCache()
	importDone := make(chan struct{})
	c.Runtime = runtimeFunc(func(r io.Reader) error {
		defer close(importDone)
		_, err := io.ReadAll(r)
		return err
	})
	c.Builder = builderFunc(func(req BuildRequest) (*BuildResult, error) {
		w, err := req.ExportOCI(context.Background())
		require.NoError(t, err)
		_, _ = io.WriteString(w, "half an archive")
		return nil, errors.New("exporter failed")
	})
	_, err := c.Get(context.Background(), newWorkspace(t))
	require.ErrorContains(t, err, "exporter failed")
	select {
	case <-importDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the import is still waiting on the export pipe")
	}
	assert.Empty(t, rt.imported)
}

type runtimeFunc func(io.Reader) error

func (f runtimeFunc) Pull(context.Context, string, CredentialSource) (*PullInfo, error) {
	return &PullInfo{}, nil
}
func (f runtimeFunc) Import(_ context.Context, _ string, r io.Reader) (string, error) {
	return "", f(r)
}
