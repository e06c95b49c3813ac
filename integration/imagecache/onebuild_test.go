package imagecache

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/registryproxy/lease"
)

// countingBuilder counts the solves a runner starts.
type countingBuilder struct {
	imagecache.Builder
	n *atomic.Int32
}

func (b countingBuilder) Build(ctx context.Context, req imagecache.BuildRequest) (*imagecache.BuildResult, error) {
	b.n.Add(1)
	return b.Builder.Build(ctx, req)
}

// hostRunner is a runner host of its own: a private buildkitd with an
// empty cache, no runtime (the result names the image).
func (e *env) hostRunner(t *testing.T, solves *atomic.Int32, ttl time.Duration) *imagecache.Cache {
	addr := e.s.StartBuildkitd(t)
	bk, err := bkclient.New(t.Context(), addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = bk.Close() })
	return &imagecache.Cache{
		Keyer:       imagecache.HostKeyer{},
		Credentials: e.proxy,
		Registry:    &imagecache.OCIRegistry{},
		Builder:     countingBuilder{&imagecache.BuildKit{Client: bk, Progress: progressui.QuietMode}, solves},
		ProxyHost:   e.proxy.host,
		OneBuild:    &imagecache.OneBuild{TTL: ttl, Poll: 500 * time.Millisecond},
	}
}

// slowWorkspace is a project whose build takes a while (its Feature sleeps),
// so that the other runners ask while it runs.
func (e *env) slowWorkspace(seconds int) string {
	return e.workspace(map[string]string{
		".devcontainer/hello/install.sh": fmt.Sprintf("#!/bin/sh\nset -e\nsleep %d\necho \"$GREETING\" > /etc/greeting\n", seconds),
	})
}

func getWith(ctx context.Context, c *imagecache.Cache, ws, project string, logs *syncBuffer) (*imagecache.Result, error) {
	ctx = log.WithLogger(ctx, slog.New(slog.NewTextHandler(logs, nil)))
	return c.Get(ctx, imagecache.Request{
		Workspace: imagecache.Workspace{Folder: ws, Config: filepath.Join(ws, ".devcontainer", "devcontainer.json")},
		Project:   project, Purpose: contract.PurposeCreate,
	})
}

// TestOneBuildAcrossRunners: three runner hosts, each with its own
// buildkitd, miss one key at once. Exactly one solves; the other two log
// who is building and since when, wait, and pull its image: three
// identical digests.
func TestOneBuildAcrossRunners(t *testing.T) { oneBuildAcross(t, newEnv(t)) }

func oneBuildAcross(t *testing.T, e *env) {
	ws := e.slowWorkspace(8)
	var solves atomic.Int32
	runners := []*imagecache.Cache{e.hostRunner(t, &solves, 0), e.hostRunner(t, &solves, 0), e.hostRunner(t, &solves, 0)}
	results := make([]*imagecache.Result, len(runners))
	errs := make([]error, len(runners))
	logs := make([]*syncBuffer, len(runners))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i, c := range runners {
		logs[i] = &syncBuffer{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = getWith(ctx, c, ws, "onebuild", logs[i])
		}()
	}
	wg.Wait()
	built, waited := 0, 0
	for i := range runners {
		require.NoError(t, errs[i], logs[i].String())
		if results[i].Outcome == imagecache.OutcomeMiss {
			built++
			assert.True(t, results[i].Pushed)
		} else {
			require.Equal(t, imagecache.OutcomeHit, results[i].Outcome)
			assert.True(t, results[i].Waited, "a hit without waiting: %s", logs[i].String())
			assert.Equal(t, 1, strings.Count(logs[i].String(), "another runner is building this dev container (started "), "the wait is logged once:\n%s", logs[i].String())
			waited++
		}
		assert.Equal(t, results[0].Digest, results[i].Digest, "one image for all runners")
	}
	assert.Equal(t, 1, built, "exactly one runner built")
	assert.Equal(t, 2, waited)
	assert.Equal(t, int32(1), solves.Load(), "exactly one BuildKit solve across the three hosts")
}

// TestOneBuildBuilderKilled: the runner holding the build lease is killed
// with SIGKILL mid-build (a separate process: this test binary re-run as a
// runner); the waiting runner takes the lease over within its TTL, builds
// and pushes.
func TestOneBuildBuilderKilled(t *testing.T) { builderKilled(t, newEnv(t)) }

func builderKilled(t *testing.T, e *env) {
	ws := e.slowWorkspace(30)
	const ttl = 10 * time.Second
	creds, err := e.proxy.Issue(t.Context(), "killed", contract.PurposeCreate)
	require.NoError(t, err)

	// The builder: another process, with its own buildkitd.
	addr := e.s.StartBuildkitd(t)
	child := exec.Command(os.Args[0], "-test.run=^TestOneBuildChildRunner$")
	spec, _ := json.Marshal(childSpec{Buildkit: addr, Proxy: e.proxy.host, Username: creds.Username, Password: creds.Password, Workspace: ws, TTL: ttl})
	child.Env = append(os.Environ(), "DEVCACHE_IT_CHILD_RUNNER="+string(spec))
	childLog, err := os.Create(filepath.Join(t.TempDir(), "child.log"))
	require.NoError(t, err)
	child.Stdout, child.Stderr = childLog, childLog
	require.NoError(t, child.Start())
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })

	lc := &lease.Client{Host: e.proxy.host, Username: creds.Username, Password: creds.Password}
	var holder lease.Info
	deadline := time.Now().Add(2 * time.Minute)
	// The child's key is the workspace's: wait until some lease of the
	// project is held by it (the lease key is the cache key's hex).
	key := cacheKey(t, e, ws, "killed")
	for time.Now().Before(deadline) {
		if holder, err = lc.Get(t.Context(), contract.RepositoryName("killed", contract.KindImageBuild), key); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.NoError(t, err, "the child runner never took the lease:\n%s", childOutput(childLog.Name()))
	require.Equal(t, "child", holder.Holder)
	time.Sleep(time.Second) // mid-build (its Feature sleeps 30 s)
	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	_ = child.Wait()
	killed := time.Now()

	var solves atomic.Int32
	c := e.hostRunner(t, &solves, ttl)
	logs := &syncBuffer{}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var tookOver time.Duration
	c.Builder = timedBuilder{c.Builder, func() { tookOver = time.Since(killed) }}
	res, err := getWith(ctx, c, ws, "killed", logs)
	require.NoError(t, err, logs.String())
	assert.Equal(t, imagecache.OutcomeMiss, res.Outcome)
	assert.True(t, res.Pushed)
	assert.True(t, res.Waited, "it waited for the killed builder first:\n%s", logs.String())
	assert.Contains(t, logs.String(), "another runner is building this dev container")
	assert.Less(t, tookOver, ttl+3*time.Second, "taken over within the lease TTL")
	assert.Equal(t, int32(1), solves.Load())
	assert.True(t, e.cached("killed", res.Key))
}

func childOutput(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

type timedBuilder struct {
	imagecache.Builder
	start func()
}

func (b timedBuilder) Build(ctx context.Context, req imagecache.BuildRequest) (*imagecache.BuildResult, error) {
	b.start()
	return b.Builder.Build(ctx, req)
}

func cacheKey(t *testing.T, e *env, ws, project string) string {
	creds, err := e.proxy.Issue(t.Context(), project, contract.PurposeCreate)
	require.NoError(t, err)
	w := imagecache.Workspace{Folder: ws, Config: filepath.Join(ws, ".devcontainer", "devcontainer.json")}
	config, err := os.ReadFile(w.Config)
	require.NoError(t, err)
	in, err := imagecache.HostKeyer{}.Inputs(t.Context(), w, imagecache.ReadVariables(w, config, nil), []imagecache.HostCredentials{*creds})
	require.NoError(t, err)
	return in.Key().Encoded()
}

// childSpec is what the child runner process is told.
type childSpec struct {
	Buildkit, Proxy, Username, Password, Workspace string
	TTL                                            time.Duration
}

// TestOneBuildChildRunner is the killed builder of TestOneBuildBuilderKilled
// when run as its child; otherwise it skips.
func TestOneBuildChildRunner(t *testing.T) {
	raw := os.Getenv("DEVCACHE_IT_CHILD_RUNNER")
	if raw == "" {
		t.Skip("the child runner of TestOneBuildBuilderKilled")
	}
	var spec childSpec
	require.NoError(t, json.Unmarshal([]byte(raw), &spec))
	bk, err := bkclient.New(t.Context(), spec.Buildkit)
	require.NoError(t, err)
	c := &imagecache.Cache{
		Keyer:       imagecache.HostKeyer{},
		Credentials: fixedCreds{&imagecache.HostCredentials{Host: spec.Proxy, Username: spec.Username, Password: spec.Password}},
		Registry:    &imagecache.OCIRegistry{},
		Builder:     &imagecache.BuildKit{Client: bk, Progress: progressui.QuietMode},
		ProxyHost:   spec.Proxy,
		OneBuild:    &imagecache.OneBuild{Holder: "child", TTL: spec.TTL},
	}
	_, err = getWith(context.Background(), c, spec.Workspace, "killed", &syncBuffer{})
	require.NoError(t, err)
}

type fixedCreds struct{ c *imagecache.HostCredentials }

func (f fixedCreds) Issue(context.Context, string, contract.Purpose) (*imagecache.HostCredentials, error) {
	return f.c, nil
}
