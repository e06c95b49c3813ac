package prebuild

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/phase"
)

// TestCLIThroughImageCache runs a prebuild the way a runner host does in
// production: `devcache prebuild run --proxy` against a devcache-proxy
// process. Step 1 builds the Dev Container (a local Feature on busybox)
// through the image cache, which the prebuild populates as an environment
// creation; the snapshot is then pushed to the project's prebuild repository
// through the proxy.
func TestCLIThroughImageCache(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bins := buildBins(t, ctx, dir, "devcache", "devcache-proxy")

	proxyHost, pstate := startProxy(t, s, bins["devcache-proxy"], dir)

	h := newHost(t, s, filepath.Join(dir, "h"))
	project := projectName(t)
	ws, cfg := newProject(t, fmt.Sprintf(`{
	"image": %q,
	"features": {"./hello": {"greeting": "from-the-cache"}},
	"onCreateCommand": "mkdir -p /opt && cat /etc/greeting > /opt/marker"
}`, s.BusyboxImage()), map[string]string{
		".devcontainer/hello/devcontainer-feature.json": `{"id": "hello", "version": "1.0.0", "options": {"greeting": {"type": "string", "default": "hi"}}}`,
		".devcontainer/hello/install.sh":                "#!/bin/sh\nset -e\necho \"$GREETING\" > /etc/greeting\n",
	})
	require.NoError(t, os.Chmod(filepath.Join(ws, ".devcontainer", "hello", "install.sh"), 0o755))

	run := func(args ...string) (string, string, error) {
		cmd := exec.CommandContext(ctx, bins["devcache"], args...)
		cmd.Env = s.Env()
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	common := []string{"--proxy", proxyHost, "--proxy-state-dir", pstate, "--buildkit-host", s.BuildkitHost,
		"--containerd-address", filepath.Join(h.dir, "c.sock"), "--namespace", namespace, "--state-dir", h.state,
		"--project", project, "--insecure-registry"}

	stdout, stderr, err := run(append([]string{"prebuild", "run", "--workspace-folder", ws, "--environment-class", "small"}, common...)...)
	require.NoError(t, err, "%s", stderr)
	require.Contains(t, stdout, " Completed ")
	require.Contains(t, stderr, "no cached dev container image", "step 1 went through the image cache and missed")

	// The image cache now holds the Dev Container image under its key.
	keyOut, _, err := run("key", "--workspace-folder", ws, "--config", cfg)
	require.NoError(t, err)
	key := strings.TrimPrefix(strings.TrimSpace(keyOut), "sha256:")
	credOut, err := exec.CommandContext(ctx, bins["devcache-proxy"], "credentials", "--state-dir", pstate, "--project", project, "--purpose", "refresh").Output()
	require.NoError(t, err)
	var cred struct{ Username, Password string }
	require.NoError(t, json.Unmarshal(credOut, &cred))
	ref, err := name.ParseReference(proxyHost + "/projects/" + project + "/image-build:" + key)
	require.NoError(t, err)
	_, err = remote.Head(ref, remote.WithAuth(&authn.Basic{Username: cred.Username, Password: cred.Password}), remote.WithContext(ctx))
	require.NoError(t, err, "the prebuild populated the image cache")

	stdout, stderr, err = run(append([]string{"prebuild", "list", "--output", "json"}, common...)...)
	require.NoError(t, err, "%s", stderr)
	var listed struct {
		Prebuilds []prebuild.Prebuild `json:"prebuilds"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &listed), stdout)
	require.Len(t, listed.Prebuilds, 1)
	require.Equal(t, phase.Completed, listed.Prebuilds[0].Phase)

	// A second prebuild of the same configuration hits the image cache.
	_, stderr, err = run(append([]string{"prebuild", "run", "--workspace-folder", ws, "--environment-class", "small"}, common...)...)
	require.NoError(t, err, "%s", stderr)
	require.Contains(t, stderr, "Using pre-built dev container")
}
