package prebuild

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/prebuild/phase"
	"github.com/devcache/devcache/prebuild/status"
	"github.com/devcache/devcache/prebuild/trigger"
)

// serveHost is one runner host running `devcache prebuild serve`.
type serveHost struct {
	name string
	base string
	proc *testenv.Proc
	log  string
}

// TestServeTwoHostsOneClass runs two `devcache prebuild serve` processes
// (two runner hosts, each with its own containerd) against one
// devcache-proxy, whose lease endpoint keeps one prebuild per class
// running across them. The prebuild's setup (10 s) outlasts the lease's
// TTL (6 s), so the lease must be renewed while it runs.
//   - The same push reaches both hosts at once: one runs it, the other
//     queues it; once the class is free the queued job finds the class's
//     active prebuild already at that commit and is skipped (one prebuild).
//   - While one host runs a commit, the other queues a push and then a
//     newer one: the newer replaces the queued one and runs after the
//     first finishes, never beside it.
//   - A host killed with SIGKILL while it runs holds the lease until it
//     expires; the other host queues, then runs the commit.
func TestServeTwoHostsOneClass(t *testing.T) {
	s := testenv.Get(t)
	g := s.GitServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bins := buildBins(t, ctx, dir, "devcache", "devcache-proxy")
	proxyHost, pstate := startProxy(t, s, bins["devcache-proxy"], dir)

	project := projectName(t)
	devcontainer := func(v int) string {
		return fmt.Sprintf(`{"image": "busybox", "name": "v%d", "onCreateCommand": "sleep 10; mkdir -p /opt; echo v%d > /opt/v"}`, v, v)
	}
	ws, _ := gitProject(t, g, project, devcontainer(0), map[string]string{"src/a.txt": "a\n"})
	remote := testenv.Git(t, ws, "remote", "get-url", "origin")
	secret := []byte("webhook-secret-" + project)
	secretFile := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secretFile, secret, 0o600))
	cfgFile := filepath.Join(dir, "projects.toml")
	require.NoError(t, os.WriteFile(cfgFile, fmt.Appendf(nil, `version = 1
webhook_secret_file = %q
debounce = "1s"
max_delay = "5s"
lease_ttl = "6s"

[[project]]
id = %q
remote = %q
repository = "acme/%s"
branches = ["main"]
classes = ["small"]
creator = "creator-bot"
`, secretFile, project, remote, project), 0o600))

	start := func(name string) *serveHost {
		h := newHost(t, s, filepath.Join(dir, name))
		addr := freeAddr(t)
		sh := &serveHost{name: name, base: "http://" + addr, log: filepath.Join(dir, name+"-serve.log")}
		sh.proc = testenv.StartProc(t, sh.log, s.Env(), bins["devcache"], "prebuild", "serve", "--projects", cfgFile,
			"--http-addr", addr, "--holder", name, "--image", s.BusyboxImage(),
			"--proxy", proxyHost, "--proxy-state-dir", pstate, "--insecure-registry",
			"--containerd-address", filepath.Join(h.dir, "c.sock"), "--namespace", namespace, "--state-dir", h.state)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s serve log:\n%s", name, sh.proc.Log())
			}
		})
		waitHTTP(t, ctx, sh.base+"/api/prebuilds")
		return sh
	}
	a, b := start("host-a"), start("host-b")

	push := func(h *serveHost, commit string) {
		body := fmt.Appendf(nil, `{"ref": "refs/heads/main", "after": %q, "repository": {"full_name": "acme/%s"}}`, commit, project)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"/hooks/push", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-Hub-Signature-256", trigger.Sign(secret, body))
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusAccepted, res.StatusCode)
	}
	report := func(h *serveHost) (status.Project, bool) {
		res, err := http.Get(h.base + "/api/prebuilds")
		if err != nil {
			return status.Project{}, false
		}
		defer res.Body.Close()
		var rep status.Report
		require.NoError(t, json.NewDecoder(res.Body).Decode(&rep))
		require.Len(t, rep.Projects, 1)
		return rep.Projects[0], true
	}
	job := func(p status.Project) string { // "running@<commit>", "queued@<commit>" or ""
		if len(p.Jobs) == 0 {
			return ""
		}
		return p.Jobs[0].State + "@" + p.Jobs[0].Commit
	}
	// watch polls the live hosts until done holds, failing if both run
	// the class at once.
	watch := func(what string, hosts []*serveHost, done func(jobs map[string]string, p status.Project) bool) status.Project {
		t.Helper()
		for {
			jobs := map[string]string{}
			var last status.Project
			running := 0
			for _, h := range hosts {
				p, ok := report(h)
				if !ok {
					continue
				}
				jobs[h.name], last = job(p), p
				if strings.HasPrefix(jobs[h.name], "running@") {
					running++
				}
			}
			require.LessOrEqual(t, running, 1, "two hosts run the class at once: %v", jobs)
			if done(jobs, last) {
				return last
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s: %v", what, jobs)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	idleWith := func(n int) func(map[string]string, status.Project) bool {
		return func(jobs map[string]string, p status.Project) bool {
			for _, j := range jobs {
				if j != "" {
					return false
				}
			}
			recorded := 0
			for _, e := range p.Prebuilds {
				if e.Phase != "" {
					recorded++
				}
			}
			return recorded >= n
		}
	}
	both := []*serveHost{a, b}

	// 1. The same push on both hosts at once: one runs, the other queues,
	// then skips it (the class's active prebuild is at that commit).
	c1 := commitFiles(t, ws, map[string]string{".devcontainer/devcontainer.json": devcontainer(1)}, nil)
	go push(a, c1)
	go push(b, c1)
	var runner, waiter *serveHost
	watch("one host runs c1, the other queues it", both, func(jobs map[string]string, _ status.Project) bool {
		switch {
		case jobs[a.name] == "running@"+c1 && jobs[b.name] == "queued@"+c1:
			runner, waiter = a, b
		case jobs[b.name] == "running@"+c1 && jobs[a.name] == "queued@"+c1:
			runner, waiter = b, a
		}
		return runner != nil
	})
	p := watch("c1 recorded, both hosts idle", both, idleWith(1))
	require.Len(t, p.Prebuilds, 1, "one prebuild of the push both hosts got")
	require.Equal(t, c1, p.Prebuilds[0].Commit)
	require.Equal(t, phase.Completed, p.Prebuilds[0].Phase)
	require.Equal(t, 1, strings.Count(runner.proc.Log(), "prebuild dispatched"))
	require.Contains(t, waiter.proc.Log(), "prebuild queued: the class runs on another host")
	require.Contains(t, waiter.proc.Log(), "prebuild skipped: the class's active prebuild is at this commit")
	require.NotContains(t, waiter.proc.Log(), "prebuild dispatched")

	// 2. The runner runs c2; the waiter queues c2, then c3 replaces it
	// (newest commit wins) and runs once the runner is done.
	c2 := commitFiles(t, ws, map[string]string{".devcontainer/devcontainer.json": devcontainer(2)}, nil)
	push(runner, c2)
	watch("c2 runs on "+runner.name, both, func(jobs map[string]string, _ status.Project) bool { return jobs[runner.name] == "running@"+c2 })
	push(waiter, c2)
	watch("c2 queued on "+waiter.name, both, func(jobs map[string]string, _ status.Project) bool { return jobs[waiter.name] == "queued@"+c2 })
	c3 := commitFiles(t, ws, map[string]string{".devcontainer/devcontainer.json": devcontainer(3)}, nil)
	push(waiter, c3)
	watch("c3 replaces c2 in "+waiter.name+"'s queue", both, func(jobs map[string]string, _ status.Project) bool {
		return jobs[waiter.name] == "queued@"+c3 && jobs[runner.name] == "running@"+c2
	})
	p = watch("c2 and c3 recorded, both hosts idle", both, idleWith(3))
	require.Len(t, p.Prebuilds, 3)
	byCommit := map[string]status.Entry{}
	for _, e := range p.Prebuilds {
		require.Equal(t, phase.Completed, e.Phase, "%s", e.ID)
		byCommit[e.Commit] = e
	}
	require.Contains(t, byCommit, c2)
	require.Contains(t, byCommit, c3)
	require.Contains(t, waiter.proc.Log(), "commit="+c3, "the waiter ran c3")
	require.Contains(t, waiter.proc.Log(), "queued prebuild replaced by a newer trigger")
	// The recorded phases do not overlap either.
	end2 := byCommit[c2].Transitions[len(byCommit[c2].Transitions)-1].At
	require.False(t, byCommit[c3].Transitions[0].At.Before(end2), "c3 started (%s) before c2 ended (%s)", byCommit[c3].Transitions[0].At, end2)

	// 3. kill -9 the host running c4: its lease expires, the other host
	// queues meanwhile and then runs c4.
	c4 := commitFiles(t, ws, map[string]string{".devcontainer/devcontainer.json": devcontainer(4)}, nil)
	push(runner, c4)
	watch("c4 runs on "+runner.name, both, func(jobs map[string]string, _ status.Project) bool { return jobs[runner.name] == "running@"+c4 })
	runner.proc.Stop(t, syscall.SIGKILL)
	killed := time.Now()
	push(waiter, c4)
	watch("c4 queued on "+waiter.name+" behind the dead host's lease", []*serveHost{waiter}, func(jobs map[string]string, _ status.Project) bool {
		return jobs[waiter.name] == "queued@"+c4
	})
	require.Contains(t, waiter.proc.Log(), "holder="+runner.name)
	p = watch("c4 recorded by "+waiter.name, []*serveHost{waiter}, idleWith(4))
	var e4 *status.Entry
	for i := range p.Prebuilds {
		if p.Prebuilds[i].Commit == c4 && p.Prebuilds[i].Phase != "" {
			e4 = &p.Prebuilds[i]
		}
	}
	require.NotNil(t, e4, "c4 was recorded")
	require.Equal(t, phase.Completed, e4.Phase)
	t.Logf("c4 started on %s %s after %s was killed", waiter.name, e4.Transitions[0].At.Sub(killed).Round(100*time.Millisecond), runner.name)
}
