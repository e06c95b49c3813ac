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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/phase"
)

// A prebuild whose onCreateCommand sleeps 30 s, three lifetimes of the
// proxy's 10 s credentials (no clock skew), is captured and pushed: the
// capture credential is taken when the capture starts and renewed.
func TestLongPrebuildRenewsItsCredential(t *testing.T) {
	stdout, stderr, list, err := longPrebuild(t, false)
	require.NoError(t, err, "%s", stderr)
	require.Contains(t, stdout, " Completed ")
	require.Len(t, list, 1)
	require.Equal(t, phase.Completed, list[0].Phase)
}

// The same with renewal switched off (the test hook: the credential is
// taken before the setup and kept): the push after the setup is refused.
func TestLongPrebuildWithoutRenewalFails(t *testing.T) {
	stdout, stderr, list, err := longPrebuild(t, true)
	require.True(t, err != nil || !strings.Contains(stdout, " Completed "), "without renewal the capture's push must fail:\n%s\n%s", stdout, stderr)
	for _, p := range list {
		assert.NotEqual(t, phase.Completed, p.Phase, "nothing completed is listed")
	}
}

func longPrebuild(t *testing.T, noRenewal bool) (stdout, stderr string, list []prebuild.Prebuild, runErr error) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bins := buildBins(t, ctx, dir, "devcache", "devcache-proxy")
	conf := filepath.Join(dir, "proxy.toml")
	require.NoError(t, os.WriteFile(conf, []byte("version = 1\n[auth]\ncredential_ttl = \"10s\"\nclock_skew = \"0s\"\n"), 0o600))
	proxyHost, pstate := startProxy(t, s, bins["devcache-proxy"], dir, "--config", conf)

	h := newHost(t, s, filepath.Join(dir, "h"))
	project := projectName(t)
	ws, _ := newProject(t, `{"image": "busybox", "onCreateCommand": "sleep 30 && mkdir -p /opt && echo long > /opt/marker"}`, nil)
	run := func(args ...string) (string, string, error) {
		cmd := exec.CommandContext(ctx, bins["devcache"], args...)
		cmd.Env = s.Env()
		if noRenewal {
			cmd.Env = append(cmd.Env, "DEVCACHE_TEST_NO_CREDENTIAL_RENEWAL=1")
		}
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		return o.String(), e.String(), err
	}
	common := []string{"--proxy", proxyHost, "--proxy-state-dir", pstate, "--buildkit-host", s.BuildkitHost,
		"--containerd-address", filepath.Join(h.dir, "c.sock"), "--namespace", namespace, "--state-dir", h.state,
		"--project", project, "--insecure-registry", proxyHost}
	stdout, stderr, runErr = run(append([]string{"prebuild", "run", "--workspace-folder", ws, "--environment-class", "small", "--image", s.BusyboxImage()}, common...)...)

	out, lerr, err := run(append([]string{"prebuild", "list", "--output", "json"}, common...)...)
	require.NoError(t, err, "%s", lerr)
	var listed struct {
		Prebuilds []prebuild.Prebuild `json:"prebuilds"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &listed), out)
	return stdout, fmt.Sprint(stderr), listed.Prebuilds, runErr
}
