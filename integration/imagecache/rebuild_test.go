package imagecache

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
)

// Every Feature of these workspaces writes a random UUID: a step
// that re-ran leaves a different file in the new image, a reused one the
// same file.
const stampFeature = `#!/bin/sh
set -e
cat /proc/sys/kernel/random/uuid > /stamp-$NAME
`

func stampWorkspace(e *env, features []string, postCreate string) string {
	var entries []string
	files := map[string]string{}
	for _, f := range features {
		entries = append(entries, fmt.Sprintf(`"./%s": {"name": %q}`, f, f))
		files[".devcontainer/"+f+"/devcontainer-feature.json"] = fmt.Sprintf(`{"id": %q, "version": "1.0.0", "options": {"name": {"type": "string", "default": "x"}}}`, f)
		files[".devcontainer/"+f+"/install.sh"] = stampFeature
	}
	files[".devcontainer/devcontainer.json"] = fmt.Sprintf(`{"image": %q, "features": {%s}, "postCreateCommand": %q}`, e.base, strings.Join(entries, ", "), postCreate)
	return e.workspace(files)
}

// freshRunner is a runner host with an empty BuildKit cache of its own and
// no containerd: it can only reuse steps through the registry.
func (e *env) freshRunner() *runner { return e.freshRunnerTB(e.t) }

func (e *env) freshRunnerTB(tb testing.TB) *runner {
	tb.Helper()
	addr := e.s.StartBuildkitd(tb)
	bk, err := bkclient.New(tb.Context(), addr)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = bk.Close() })
	return &runner{logs: &syncBuffer{}, timeout: e.getTimeout, cache: &imagecache.Cache{
		Keyer:       imagecache.HostKeyer{},
		Credentials: e.proxy,
		Registry:    &imagecache.OCIRegistry{},
		Builder:     &imagecache.BuildKit{Client: bk, Progress: progressui.QuietMode},
		ProxyHost:   e.proxy.host,
	}}
}

// stamps reads the /stamp-* files of an image in the proxy.
func (e *env) stamps(project, ref string) map[string]string {
	e.t.Helper()
	creds, err := e.proxy.Issue(e.t.Context(), project, contract.PurposeRebuild)
	require.NoError(e.t, err)
	r, err := name.ParseReference(ref)
	require.NoError(e.t, err)
	img, err := remote.Image(r, remote.WithAuth(&authn.Basic{Username: creds.Username, Password: creds.Password}), remote.WithContext(e.t.Context()))
	require.NoError(e.t, err)
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(e.t, err)
		if n := strings.TrimPrefix(h.Name, "/"); strings.HasPrefix(n, "stamp-") {
			b, err := io.ReadAll(tr)
			require.NoError(e.t, err)
			out[n] = strings.TrimSpace(string(b))
		}
	}
	return out
}

func (r *runner) mustGet(t *testing.T, ws, project string) *imagecache.Result {
	t.Helper()
	res, err := r.get(t, ws, project, contract.PurposeCreate)
	require.NoError(t, err, r.logs.String())
	require.Equal(t, imagecache.OutcomeMiss, res.Outcome)
	return res
}

// An edit that only reaches the devcontainer.metadata label (a lifecycle
// command) gets a new key, and the rebuild on a fresh runner host re-runs
// no step: every Feature's files are the cached image's.
func TestLifecycleEditRerunsNothing(t *testing.T) {
	e := newEnv(t)
	ws := stampWorkspace(e, []string{"a", "b"}, "echo one")
	first := e.freshRunner().mustGet(t, ws, "p1")
	before := e.stamps("p1", first.Image)
	require.Len(t, before, 2)

	write(t, ws, map[string]string{".devcontainer/devcontainer.json": strings.Replace(readFile(t, ws+"/.devcontainer/devcontainer.json"), "echo one", "echo two", 1)})
	r := e.freshRunner()
	res := r.mustGet(t, ws, "p1")
	assert.NotEqual(t, first.Key, res.Key)
	require.NotEmpty(t, res.CacheFrom, r.logs.String())
	assert.Equal(t, first.Image, res.CacheFrom[0].Image)
	assert.Equal(t, "nearest", res.CacheFrom[0].Why)
	assert.Equal(t, []string{"devcontainer.json"}, res.CacheFrom[0].Differs)
	assert.Equal(t, before, e.stamps("p1", res.Image), "no Feature re-ran")
	assert.Positive(t, res.StepsReused)
}

// Adding a last Feature runs only its install step.
func TestAddedFeatureRunsOnlyItsStep(t *testing.T) {
	e := newEnv(t)
	ws := stampWorkspace(e, []string{"a", "b"}, "true")
	first := e.freshRunner().mustGet(t, ws, "p1")
	before := e.stamps("p1", first.Image)

	ws2 := stampWorkspace(e, []string{"a", "b", "c"}, "true")
	res := e.freshRunner().mustGet(t, ws2, "p1")
	require.NotEmpty(t, res.CacheFrom)
	after := e.stamps("p1", res.Image)
	require.Len(t, after, 3)
	for k, v := range before {
		assert.Equal(t, v, after[k], "%s was reused", k)
	}
}

// A build arg used late in the Dockerfile re-runs the steps after it only.
func TestLateBuildArgReusesEarlierSteps(t *testing.T) {
	e := newEnv(t)
	dockerfile := fmt.Sprintf("FROM %s\nRUN cat /proc/sys/kernel/random/uuid > /stamp-early\nARG LATE\nRUN echo \"$LATE\" && cat /proc/sys/kernel/random/uuid > /stamp-late\n", e.base)
	config := func(late string) string {
		return fmt.Sprintf(`{"build": {"dockerfile": "Dockerfile", "args": {"LATE": %q}}}`, late)
	}
	ws := e.workspace(map[string]string{".devcontainer/Dockerfile": dockerfile, ".devcontainer/devcontainer.json": config("1")})
	first := e.freshRunner().mustGet(t, ws, "p1")
	before := e.stamps("p1", first.Image)
	require.Len(t, before, 2)

	write(t, ws, map[string]string{".devcontainer/devcontainer.json": config("2")})
	res := e.freshRunner().mustGet(t, ws, "p1")
	after := e.stamps("p1", res.Image)
	assert.Equal(t, before["stamp-early"], after["stamp-early"], "the step before the ARG was reused")
	assert.NotEqual(t, before["stamp-late"], after["stamp-late"], "the step after the ARG re-ran")
}

// A second project with the same configuration gets nothing from the
// first project's cache.
func TestNoCacheAcrossProjects(t *testing.T) {
	e := newEnv(t)
	ws := stampWorkspace(e, []string{"a"}, "true")
	first := e.freshRunner().mustGet(t, ws, "p1")
	r := e.freshRunner()
	other := r.mustGet(t, ws, "p2")
	assert.Empty(t, other.CacheFrom, r.logs.String())
	assert.NotEqual(t, e.stamps("p1", first.Image), e.stamps("p2", other.Image), "p2 re-ran the Feature")
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}
