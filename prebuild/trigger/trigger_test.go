package trigger

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/phase"
	"github.com/devcache/devcache/registryproxy/lease"
)

const sampleConfig = `version = 1
webhook_secret_file = "/etc/devcache/webhook"
debounce = "10s"

[[project]]
id = "web"
remote = "https://git.example.com/acme/web.git"
repository = "acme/web"
branches = ["main", "release/*"]
classes = ["small", "large"]
creator = "alice"
schedule = "03:00"
`

func TestConfig(t *testing.T) {
	c, err := ParseConfig([]byte(sampleConfig))
	require.NoError(t, err)
	require.Equal(t, 10*time.Second, c.Debounce.Duration)
	require.Equal(t, time.Minute, c.MaxDelay.Duration)
	p := c.Projects[0]
	require.Equal(t, ".devcontainer/devcontainer.json", p.Config)
	require.Equal(t, "main", p.Branch, "the schedule's branch: the first that is not a glob")
	require.True(t, p.Wants("release/1.2"))
	require.False(t, p.Wants("feature/x"))

	_, err = ParseConfig([]byte(sampleConfig + "clases = [\"x\"]\n"))
	require.ErrorIs(t, err, errdefs.ErrInvalidArgument)
	require.Contains(t, err.Error(), "clases", "an unknown key is named")
	require.Contains(t, err.Error(), "13|", "with its line")
	for _, bad := range []string{
		`branches = ["[main"]`, `classes = ["a b"]`, `config = "../x.json"`, `id = "Web!"`, `schedule = "25:00"`,
	} {
		_, err := ParseConfig([]byte(sampleConfig + bad + "\n"))
		if err == nil {
			// A key set twice is a TOML error too; replace instead.
			t.Fatalf("%s accepted", bad)
		}
	}
	_, err = ParseConfig([]byte("version = 2\n"))
	require.ErrorContains(t, err, "version 2")
	dup := sampleConfig + "[[project]]\nid = \"web\"\nremote = \"r\"\nbranches = [\"main\"]\nclasses = [\"small\"]\ncreator = \"a\"\n"
	_, err = ParseConfig([]byte(dup))
	require.ErrorContains(t, err, "configured twice")
}

func githubPush(ref, after string) []byte {
	return fmt.Appendf(nil, `{"ref":%q,"before":"0000000000000000000000000000000000000000","after":%q,"repository":{"full_name":"acme/web","clone_url":"https://git.example.com/acme/web.git"}}`, ref, after)
}

func commit(i int) string { return fmt.Sprintf("%040x", i+1) }

func TestWebhook(t *testing.T) {
	c, err := ParseConfig([]byte(sampleConfig))
	require.NoError(t, err)
	secret := []byte("s3cret")
	var got []Push
	w := &Webhook{Secret: secret, Projects: c.Projects, Push: func(p Push) { got = append(got, p) }}
	post := func(body []byte, h map[string]string) int {
		r := httptest.NewRequest(http.MethodPost, "/hooks/push", bytes.NewReader(body))
		for k, v := range h {
			r.Header.Set(k, v)
		}
		rw := httptest.NewRecorder()
		w.ServeHTTP(rw, r)
		return rw.Code
	}
	body := githubPush("refs/heads/main", commit(1))
	require.Equal(t, http.StatusAccepted, post(body, map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": Sign(secret, body)}))
	require.Equal(t, []Push{{Project: "web", Branch: "main", Commit: commit(1), Source: "webhook:github", At: got[0].At}}, got)

	got = nil
	require.Equal(t, http.StatusUnauthorized, post(body, map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": Sign([]byte("wrong"), body)}))
	require.Equal(t, http.StatusUnauthorized, post(body, map[string]string{"X-GitHub-Event": "push"}), "missing signature")
	tampered := githubPush("refs/heads/main", commit(2))
	require.Equal(t, http.StatusUnauthorized, post(tampered, map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": Sign(secret, body)}))
	require.Empty(t, got, "nothing runs without a good signature")

	for _, b := range [][]byte{githubPush("refs/tags/v1", commit(3)), githubPush("refs/heads/feature/x", commit(3)), githubPush("refs/heads/main", "0000000000000000000000000000000000000000")} {
		require.Equal(t, http.StatusAccepted, post(b, map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": Sign(secret, b)}))
	}
	require.Empty(t, got, "tags, other branches and deletions start nothing")

	// GitLab: a signed push hook.
	gl := fmt.Appendf(nil, `{"object_kind":"push","ref":"refs/heads/release/2","after":%q,"checkout_sha":%q,"project":{"path_with_namespace":"acme/web","git_http_url":"https://git.example.com/acme/web.git"}}`, commit(4), commit(4))
	ts := time.Now().Unix()
	h := map[string]string{"X-Gitlab-Event": "Push Hook", "Webhook-Id": "msg_1", "Webhook-Timestamp": strconv.FormatInt(ts, 10), "Webhook-Signature": SignGitLab(secret, "msg_1", ts, gl)}
	require.Equal(t, http.StatusAccepted, post(gl, h))
	require.Len(t, got, 1)
	require.Equal(t, "release/2", got[0].Branch)
	require.Equal(t, "webhook:gitlab", got[0].Source)
	old := time.Now().Add(-time.Hour).Unix()
	h["Webhook-Timestamp"], h["Webhook-Signature"] = strconv.FormatInt(old, 10), SignGitLab(secret, "msg_1", old, gl)
	require.Equal(t, http.StatusUnauthorized, post(gl, h), "a replayed (old) signed hook")
	require.Len(t, got, 1)
}

// fakeTimers fires timers when the test says so.
type fakeTimers struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func (ft *fakeTimers) AfterFunc(d time.Duration, f func()) func() bool {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	t := &fakeTimer{at: ft.now.Add(d), f: f}
	ft.timers = append(ft.timers, t)
	return func() bool { ft.mu.Lock(); defer ft.mu.Unlock(); t.stopped = true; return true }
}

func (ft *fakeTimers) Now() time.Time { ft.mu.Lock(); defer ft.mu.Unlock(); return ft.now }

// advance moves the clock and fires the timers that are due.
func (ft *fakeTimers) advance(d time.Duration) {
	ft.mu.Lock()
	ft.now = ft.now.Add(d)
	var due []*fakeTimer
	rest := ft.timers[:0]
	for _, t := range ft.timers {
		if !t.stopped && !t.at.After(ft.now) {
			due = append(due, t)
		} else if !t.stopped {
			rest = append(rest, t)
		}
	}
	ft.timers = rest
	ft.mu.Unlock()
	for _, t := range due {
		t.f()
	}
}

func TestDebounceBurst(t *testing.T) {
	ft := &fakeTimers{now: time.Unix(0, 0)}
	var fired []Push
	d := &Debouncer{Quiet: 3 * time.Second, Max: time.Minute, Fire: func(p Push) { fired = append(fired, p) }, AfterFunc: ft.AfterFunc, Now: ft.Now}
	// 5 pushes in 10 s.
	for i := range 5 {
		d.Add(Push{Project: "web", Branch: "main", Commit: commit(i)})
		ft.advance(2 * time.Second)
	}
	require.Empty(t, fired, "still within the burst")
	ft.advance(time.Second)
	require.Equal(t, []Push{{Project: "web", Branch: "main", Commit: commit(4)}}, fired, "one prebuild, of the newest commit")

	// A burst that never pauses still fires after Max.
	fired = nil
	d.Max = 10 * time.Second
	for i := range 8 {
		d.Add(Push{Project: "web", Branch: "main", Commit: commit(10 + i)})
		ft.advance(2 * time.Second)
	}
	require.Len(t, fired, 1)
	require.Equal(t, commit(14), fired[0].Commit, "the newest when Max was reached")
}

func TestDispatcherOnePerClass(t *testing.T) {
	lease := &LocalLease{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	ran := map[string][]string{}
	release := make(chan struct{})
	started := make(chan string, 10)
	host := func(name string) *Dispatcher {
		d := &Dispatcher{Lease: lease, Holder: name, TTL: time.Minute, Retry: 20 * time.Millisecond, Run: func(ctx context.Context, j Job) error {
			mu.Lock()
			ran[name] = append(ran[name], j.Commit)
			mu.Unlock()
			started <- name
			<-release
			return nil
		}}
		go func() { _ = d.Serve(ctx) }()
		return d
	}
	a, b := host("a"), host("b")
	time.Sleep(10 * time.Millisecond) // both serving
	var wg sync.WaitGroup
	for i, d := range []*Dispatcher{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); d.Trigger(Job{Project: "web", Class: "small", Commit: commit(i)}) }()
	}
	wg.Wait()
	first := <-started
	select {
	case other := <-started:
		t.Fatalf("%s and %s both run the class", first, other)
	case <-time.After(200 * time.Millisecond):
	}
	runner, waiter := a, b
	if first == "b" {
		runner, waiter = b, a
	}
	require.Equal(t, "running", runner.Jobs()[0].State)
	// The waiter tries the lease every Retry; on a loaded machine its first
	// try may come after the 200 ms above.
	require.Eventually(t, func() bool { return waiter.Jobs()[0].State == "queued" }, 5*time.Second, 10*time.Millisecond, "the other host queues it")
	// A newer trigger on the waiting host replaces its queued one.
	waiter.Trigger(Job{Project: "web", Class: "small", Commit: commit(9)})
	require.Len(t, waiter.Jobs(), 1)
	require.Equal(t, commit(9), waiter.Jobs()[0].Commit, "newest commit wins")
	// Another class runs beside it.
	release <- struct{}{} // the first finishes
	second := <-started
	require.NotEqual(t, first, second, "the queued host runs once the lease is free")
	mu.Lock()
	require.Equal(t, []string{commit(9)}, ran[second])
	mu.Unlock()
	close(release)
}

func TestLocalLeaseOneHolder(t *testing.T) {
	l := &LocalLease{}
	ctx := context.Background()
	h, err := l.Acquire(ctx, "web", "small", "a", time.Minute)
	require.NoError(t, err)
	_, err = l.Acquire(ctx, "web", "small", "b", time.Minute)
	in, held := lease.IsHeld(err)
	require.True(t, held, "%v", err)
	require.Equal(t, "a", in.Holder)
	other, err := l.Acquire(ctx, "web", "large", "b", time.Minute)
	require.NoError(t, err, "another class is free")
	require.NoError(t, other.Release(ctx))
	require.NoError(t, h.Release(ctx))
	h2, err := l.Acquire(ctx, "web", "small", "b", time.Minute)
	require.NoError(t, err, "released: free")
	require.NoError(t, h.Release(ctx), "a second release of an old hold")
	_, err = l.Acquire(ctx, "web", "small", "c", time.Minute)
	_, held = lease.IsHeld(err)
	require.True(t, held, "an old hold's release does not free the new holder's lease")
	require.NoError(t, h2.Release(ctx))
}

// TestDispatcherSkipsCurrentCommit: a queued push whose commit the
// class's active prebuild already has (another host built it meanwhile)
// is skipped; a scheduled one and a newer commit run.
func TestDispatcherSkipsCurrentCommit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cat := &memCatalog{list: []prebuild.Prebuild{{ID: "p1", Project: "web", EnvironmentClass: "small", Commit: commit(1), Phase: phase.Completed, Created: time.Now()}}}
	ran := make(chan Job, 10)
	d := &Dispatcher{Lease: &LocalLease{}, Holder: "a", TTL: time.Minute, Catalog: cat, Run: func(_ context.Context, j Job) error { ran <- j; return nil }}
	go func() { _ = d.Serve(ctx) }()
	next := func() string {
		select {
		case j := <-ran:
			return j.Class + "@" + j.Commit + "/" + string(j.Trigger)
		case <-time.After(5 * time.Second):
			t.Fatal("nothing ran")
			return ""
		}
	}
	d.Trigger(Job{Project: "web", Class: "small", Commit: commit(1), Trigger: prebuild.TriggerPush})
	d.Trigger(Job{Project: "web", Class: "small", Commit: commit(1), Trigger: prebuild.TriggerSchedule})
	require.Equal(t, "small@"+commit(1)+"/schedule", next(), "the push at the active commit is skipped, a scheduled prebuild is not")
	d.Trigger(Job{Project: "web", Class: "small", Commit: commit(2), Trigger: prebuild.TriggerPush})
	require.Equal(t, "small@"+commit(2)+"/push", next())
	d.Trigger(Job{Project: "web", Class: "large", Commit: commit(1), Trigger: prebuild.TriggerPush})
	require.Equal(t, "large@"+commit(1)+"/push", next(), "another class has no active prebuild")
	select {
	case j := <-ran:
		t.Fatalf("the push at the active prebuild's commit ran: %+v", j)
	case <-time.After(200 * time.Millisecond):
	}
}

type memCatalog struct {
	mu   sync.Mutex
	list []prebuild.Prebuild
}

func (m *memCatalog) List(context.Context, string) ([]prebuild.Prebuild, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]prebuild.Prebuild(nil), m.list...), nil
}
func (m *memCatalog) Delete(context.Context, prebuild.Prebuild) error { return nil }

func (m *memCatalog) add(p prebuild.Prebuild) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.list = append([]prebuild.Prebuild{p}, m.list...)
}

// TestServeScheduleTenDays runs the Service's own daily loop (schedule
// 03:00, classes small and large) over 10 simulated days: the clock wakes
// up a little late, each prebuild is stamped after the wake-up and runs 40
// minutes; every class runs every day: 10 runs each.
func TestServeScheduleTenDays(t *testing.T) {
	cfg, err := ParseConfig([]byte(sampleConfig))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	end := now.AddDate(0, 0, 10)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	cat := &memCatalog{}
	runs := map[string]int{}
	d := &Dispatcher{Lease: &LocalLease{}, Holder: "a", TTL: time.Minute, Run: func(_ context.Context, j Job) error {
		require.Equal(t, prebuild.TriggerSchedule, j.Trigger)
		require.Equal(t, commit(1), j.Commit, "the head of the schedule's branch")
		cat.add(prebuild.Prebuild{ID: fmt.Sprint(len(cat.list)), EnvironmentClass: j.Class, Trigger: j.Trigger, Commit: j.Commit, Phase: phase.Completed, Created: clock().Add(1500 * time.Millisecond)})
		advance(40 * time.Minute)
		mu.Lock()
		runs[j.Class]++
		mu.Unlock()
		return nil
	}}
	svc := &Service{Config: cfg, Dispatcher: d, Catalog: cat, Now: clock,
		List: func(context.Context, string) (map[string]string, error) {
			return map[string]string{"main": commit(1)}, nil
		},
		After: func(w time.Duration) <-chan time.Time {
			for len(d.Jobs()) > 0 { // let the day's prebuilds finish first
				time.Sleep(time.Millisecond)
			}
			advance(w + 300*time.Millisecond) // timers fire a little late
			if clock().After(end) {
				cancel()
				return nil
			}
			ch := make(chan time.Time, 1)
			ch <- clock()
			return ch
		}}
	require.NoError(t, svc.Serve(ctx))
	require.Equal(t, map[string]int{"small": 10, "large": 10}, runs)
}
