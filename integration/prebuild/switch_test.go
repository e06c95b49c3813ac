package prebuild

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

// TestCacheSwitchOff runs the real binaries with devcache-proxy's switch
// off (cache.enabled = false): `devcache build` is refused image-cache
// credentials, says so once, builds once without the cache and never asks
// the proxy to pull or push an image-cache repository; a prebuild of the
// same project from an image in a registry still runs and is pushed to its
// prebuild repository (one that needs the image cache for its image says so).
func TestCacheSwitchOff(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bins := buildBins(t, ctx, dir, "devcache", "devcache-proxy")

	pcfg := filepath.Join(dir, "proxy.toml")
	require.NoError(t, os.WriteFile(pcfg, []byte("version = 1\n[cache]\nenabled = false\n"), 0o600))
	proxyHost, pstate := startProxy(t, s, bins["devcache-proxy"], dir, "--config", pcfg)
	proxyLog := filepath.Join(dir, "proxy.log")

	h := newHost(t, s, filepath.Join(dir, "h"))
	project := projectName(t)
	ws, _ := newProject(t, fmt.Sprintf(`{
	"image": %q,
	"onCreateCommand": "mkdir -p /opt && echo switched-off > /opt/marker"
}`, s.BusyboxImage()), nil)
	run := func(args ...string) (string, string, error) {
		cmd := exec.CommandContext(ctx, bins["devcache"], args...)
		cmd.Env = s.Env()
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	common := []string{"--proxy", proxyHost, "--proxy-state-dir", pstate, "--buildkit-host", s.BuildkitHost,
		"--containerd-address", filepath.Join(h.dir, "c.sock"), "--namespace", namespace, "--project", project}

	stdout, stderr, err := run(append([]string{"build", "--workspace-folder", ws, "--result-format", "json", "--progress", "quiet"}, common...)...)
	require.NoError(t, err, "%s", stderr)
	var res struct {
		Outcome, Reason string
		Pushed          bool
		Phases          map[string]float64
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	assert.Equal(t, "bypass", res.Outcome)
	assert.False(t, res.Pushed)
	assert.Contains(t, res.Phases, "build", "built once")
	assert.NotContains(t, res.Phases, "lookup")
	assert.Equal(t, 1, strings.Count(stderr, "image cache is disabled on this runner"), "said once:\n%s", stderr)
	assert.Equal(t, 1, strings.Count(stderr, "built the dev container"), "built once:\n%s", stderr)
	assert.NotContains(t, stderr, "level=warning", "the runner's switch is not a fault")
	assert.NotContains(t, stderr, "push to the cache refused", "no push was tried")
	assert.NotContains(t, stderr, "failed to push")

	// The proxy was asked for an image-cache credential, refused it, and
	// never saw a pull, push or token request for the image cache.
	logs, err := os.ReadFile(proxyLog)
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`admin endpoint: credential" .*project=`+project+` purpose=create for=image-cache ok=false`), string(logs))
	assert.NotContains(t, string(logs), "/projects/"+project+"/image-build", "no request for the image cache")
	assert.NotContains(t, string(logs), "projects%2F"+project+"%2Fimage-build", "no token for the image cache")

	// A prebuild that gets its image from the image cache says why it cannot...
	prebuildArgs := append([]string{"prebuild", "run", "--workspace-folder", ws, "--environment-class", "small", "--state-dir", h.state, "--insecure-registry"}, common...)
	_, stderr, err = run(prebuildArgs...)
	require.Error(t, err)
	assert.Contains(t, stderr, "image cache is disabled on this runner")
	assert.Contains(t, stderr, "--image")

	// ...and one from an image in a registry runs: prebuild repositories
	// are not affected by the image-cache switch.
	stdout, stderr, err = run(append(prebuildArgs, "--image", s.BusyboxImage())...)
	require.NoError(t, err, "%s", stderr)
	assert.Contains(t, stdout, " Completed ")
	logs, err = os.ReadFile(proxyLog)
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`method=PUT path=/v2/projects/`+project+`/prebuild/manifests/\S+ route=manifest status=201`), string(logs), "the prebuild was pushed")
	assert.NotContains(t, string(logs), "/projects/"+project+"/image-build", "still no request for the image cache")
}
