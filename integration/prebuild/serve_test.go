package prebuild

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/phase"
	"github.com/devcache/devcache/prebuild/status"
	"github.com/devcache/devcache/prebuild/trigger"
)

const serveDevcontainer = `{"image": "busybox",
	"onCreateCommand": "mkdir -p /opt && echo run >> /opt/oncreate-count",
	"updateContentCommand": "cat src/*.txt > /opt/built.txt"}`

// TestServeOnPush drives `devcache prebuild serve --projects --http-addr`
// with a real git remote (hack/git-server): a badly signed and an unsigned
// webhook run nothing; 5 signed pushes in a burst run one prebuild, of the
// newest commit; a push with the same Dev Container key builds
// incrementally on it, a changed (broken) one runs in full and fails; the
// status page, read by headless Chromium (hack/chromium), shows the phases
// of the completed and the failed prebuild, and /api/prebuilds the same.
func TestServeOnPush(t *testing.T) {
	s := testenv.Get(t)
	g := s.GitServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "devcache")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/devcache/devcache/cmd/devcache").CombinedOutput()
	require.NoError(t, err, "%s", out)
	h := newHost(t, s, filepath.Join(dir, "h"))
	project := projectName(t)
	ws, _ := gitProject(t, g, project, serveDevcontainer, map[string]string{"src/a.txt": "a0\n"})
	remote := testenv.Git(t, ws, "remote", "get-url", "origin")

	secret := []byte("webhook-secret-" + project)
	secretFile := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secretFile, secret, 0o600))
	cfgFile := filepath.Join(dir, "projects.toml")
	require.NoError(t, os.WriteFile(cfgFile, fmt.Appendf(nil, `version = 1
webhook_secret_file = %q
debounce = "2s"
max_delay = "30s"
lease_ttl = "30s"

[[project]]
id = %q
remote = %q
repository = "acme/%s"
branches = ["main", "release/*"]
classes = ["small"]
creator = "creator-bot"
`, secretFile, project, remote, project), 0o600))

	addr := freeAddr(t)
	logFile := filepath.Join(dir, "serve.log")
	lf, err := os.Create(logFile)
	require.NoError(t, err)
	serve := exec.Command(bin, "prebuild", "serve", "--projects", cfgFile, "--http-addr", addr, "--holder", "host-a",
		"--image", s.BusyboxImage(), "--registry", s.Registry, "--insecure-registry", s.Registry,
		"--containerd-address", filepath.Join(h.dir, "c.sock"), "--namespace", namespace, "--state-dir", h.state)
	serve.Env = append(s.Env(), "DEVCACHE_PROXY=")
	serve.Stdout, serve.Stderr = lf, lf
	require.NoError(t, serve.Start())
	t.Cleanup(func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		_ = serve.Wait()
		lf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("serve log:\n%s", b)
		}
	})
	base := "http://" + addr
	waitHTTP(t, ctx, base+"/api/prebuilds")

	hook := func(body []byte, sig string) int {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/hooks/push", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-GitHub-Event", "push")
		if sig != "" {
			req.Header.Set("X-Hub-Signature-256", sig)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	payload := func(commit string) []byte {
		return fmt.Appendf(nil, `{"ref": "refs/heads/main", "after": %q, "repository": {"full_name": "acme/%s", "clone_url": "https://forge.invalid/acme/%s.git"}}`, commit, project, project)
	}

	// Bad and missing signatures: 401, nothing runs.
	c0 := testenv.Git(t, ws, "rev-parse", "HEAD")
	require.Equal(t, http.StatusUnauthorized, hook(payload(c0), trigger.Sign([]byte("wrong"), payload(c0))))
	require.Equal(t, http.StatusUnauthorized, hook(payload(c0), ""))

	// 5 pushes in a burst: one prebuild, of the newest commit.
	var commits []string
	for i := 1; i <= 5; i++ {
		c := commitFiles(t, ws, map[string]string{"src/a.txt": fmt.Sprintf("a%d\n", i)}, nil)
		commits = append(commits, c)
		require.Equal(t, http.StatusAccepted, hook(payload(c), trigger.Sign(secret, payload(c))))
		time.Sleep(300 * time.Millisecond)
	}
	first := waitPrebuilds(t, ctx, h, project, 1)
	require.Equal(t, commits[4], first[0].Commit, "the newest commit of the burst")
	require.Equal(t, phase.Completed, first[0].Phase)
	require.Equal(t, prebuild.TriggerPush, first[0].Trigger)
	require.Equal(t, "creator-bot", first[0].User)
	require.Empty(t, first[0].Parent, "nothing to build on: a full prebuild")
	time.Sleep(3 * time.Second) // past the debounce: nothing else was started
	list, err := h.catalog().List(ctx, project)
	require.NoError(t, err)
	require.Len(t, list, 1, "the burst and the refused hooks ran one prebuild")

	// Same key (a source change): incremental on the previous snapshot.
	c6 := commitFiles(t, ws, map[string]string{"src/b.txt": "b\n"}, nil)
	require.Equal(t, http.StatusAccepted, hook(payload(c6), trigger.Sign(secret, payload(c6))))
	second := waitPrebuilds(t, ctx, h, project, 2)
	require.Equal(t, c6, second[0].Commit)
	require.Equal(t, first[0].ID, second[0].Parent, "built on the previous prebuild")

	// A changed devcontainer.json (a new key) that fails: a full prebuild, Failed.
	c7 := commitFiles(t, ws, map[string]string{".devcontainer/devcontainer.json": `{"image": "busybox", "onCreateCommand": "echo 'npm ERR! broken build'; exit 7"}`}, nil)
	require.Equal(t, http.StatusAccepted, hook(payload(c7), trigger.Sign(secret, payload(c7))))
	third := waitPrebuilds(t, ctx, h, project, 3)
	require.Equal(t, c7, third[0].Commit)
	require.Equal(t, phase.Failed, third[0].Phase)
	require.Empty(t, third[0].Parent)

	// /api/prebuilds for scripts. The dispatcher lets the job go just
	// after the prebuild is recorded: wait for that.
	var rep status.Report
	for deadline := time.Now().Add(10 * time.Second); ; {
		res, err := http.Get(base + "/api/prebuilds")
		require.NoError(t, err)
		rep = status.Report{}
		require.NoError(t, json.NewDecoder(res.Body).Decode(&rep))
		res.Body.Close()
		if len(rep.Projects) != 1 || len(rep.Projects[0].Jobs) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Len(t, rep.Projects, 1)
	require.Len(t, rep.Projects[0].Prebuilds, 3)
	require.Empty(t, rep.Projects[0].Jobs, "nothing runs or waits")

	// The page in a real browser: the phases of the completed and the failed prebuild.
	dom := chromium(t, ctx, s, "dump-dom", base+"/")
	completed := []string{"Pending", "Starting", "Running", "Stopping", "Snapshotting", "Completed"}
	require.Equal(t, completed, pagePhases(t, dom, first[0].ID))
	require.Equal(t, completed, pagePhases(t, dom, second[0].ID))
	require.Equal(t, []string{"Pending", "Starting", "Running", "Failed"}, pagePhases(t, dom, third[0].ID))
	require.Contains(t, dom, "npm ERR! broken build", "the failed prebuild's log")
	require.Contains(t, dom, commits[4][:7])
	if shot := os.Getenv("DEVCACHE_SCREENSHOT"); shot != "" {
		chromium(t, ctx, s, "screenshot", base+"/", shot)
		t.Logf("screenshot written to %s", shot)
	}
}

// pagePhases reads the phases the page shows for prebuild id.
func pagePhases(t *testing.T, dom, id string) []string {
	t.Helper()
	row := regexp.MustCompile(`(?s)<tr class="prebuild" data-id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</tr>`).FindStringSubmatch(dom)
	require.NotNil(t, row, "prebuild %s is not on the page", id)
	var out []string
	for _, m := range regexp.MustCompile(`<span class="ph" data-phase="([A-Za-z]+)">`).FindAllStringSubmatch(row[1], -1) {
		out = append(out, m[1])
	}
	return out
}

// chromium runs hack/chromium (it installs Debian's chromium when missing).
func chromium(t *testing.T, ctx context.Context, s *testenv.Stack, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(s.RepoRoot, "hack", "chromium"), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "hack/chromium %s: %s", strings.Join(args, " "), stderr.String())
	return stdout.String()
}

// waitPrebuilds waits until the project has n recorded prebuilds and
// returns them, newest first. A capture not recorded yet (its staging tag,
// listed as incomplete, with no phase) is not counted: the prebuild is
// still running.
func waitPrebuilds(t *testing.T, ctx context.Context, h *host, project string, n int) []prebuild.Prebuild {
	t.Helper()
	for {
		all, err := h.catalog().List(ctx, project)
		var list []prebuild.Prebuild
		for _, p := range all {
			if p.Phase != "" {
				list = append(list, p)
			}
		}
		if err == nil && len(list) >= n {
			return list
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %d prebuilds of %s: %d so far (%v)", n, project, len(list), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func waitHTTP(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s did not answer: %v", url, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
