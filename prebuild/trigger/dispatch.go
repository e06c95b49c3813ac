package trigger

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/registryproxy/lease"
)

// Lease is held by one runner host at a time per environment class, in a
// place every host reaches (ProxyLease: devcache-proxy); it expires unless
// renewed, so a holder that dies frees it.
type Lease interface {
	// Acquire takes the class's lease for holder and keeps it renewed
	// until released. When another holder has it, the error is a
	// *lease.HeldError (lease.IsHeld) naming that holder.
	Acquire(ctx context.Context, project, class, holder string, ttl time.Duration) (Hold, error)
}

// Hold is an acquired class lease (a *lease.Held for ProxyLease).
type Hold interface {
	// Lost is closed when the lease was found taken by another holder
	// (this one stalled past its TTL).
	Lost() <-chan struct{}
	// Release stops renewing and frees the lease.
	Release(ctx context.Context) error
}

// Job is one prebuild to run.
type Job struct {
	Project string           `json:"project"`
	Class   string           `json:"class"`
	Branch  string           `json:"branch,omitempty"`
	Commit  string           `json:"commit"`
	Trigger prebuild.Trigger `json:"trigger"`
	// Source says what asked for it (webhook:github, poll, schedule).
	Source string    `json:"source,omitempty"`
	Queued time.Time `json:"queued"`
}

// LeaseKey names a project's class in the dispatcher (and LocalLease).
func LeaseKey(project, class string) string { return "prebuild/" + project + "/" + class }

// JobState is a job the dispatcher holds: running here, or queued.
type JobState struct {
	Job
	State   string    `json:"state"` // running or queued
	Started time.Time `json:"started,omitzero"`
}

// Dispatcher runs at most one prebuild per (project, class) across runner
// hosts: a job runs only while this host holds the class's lease. A
// trigger for a class that runs (here or elsewhere) is queued; a newer
// trigger replaces the queued one (newest commit wins). When a queued
// push job gets the lease and the class's active prebuild (prebuild.Select)
// is already at its commit — another host, or this one, has just built
// it — the job is skipped, not run again.
type Dispatcher struct {
	Lease Lease
	// Holder names this runner host in the lease.
	Holder string
	TTL    time.Duration
	// Retry is how often a job queued behind another host's lease asks
	// again (default TTL/3).
	Retry time.Duration
	Run   func(ctx context.Context, j Job) error
	// Catalog, when set, is read under the lease to skip push jobs whose
	// commit the class's active prebuild already has.
	Catalog prebuild.Catalog

	mu      sync.Mutex
	ctx     context.Context
	running map[string]JobState
	queued  map[string]Job
	wg      sync.WaitGroup
}

// Serve runs the dispatcher until ctx ends, then waits for the running jobs
// (cancelled with ctx) to finish.
func (d *Dispatcher) Serve(ctx context.Context) error {
	d.mu.Lock()
	d.ctx = ctx
	d.mu.Unlock()
	retry := d.Retry
	if retry <= 0 {
		retry = d.TTL / 3
	}
	t := time.NewTicker(retry)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			d.wg.Wait()
			return nil
		case <-t.C:
			d.mu.Lock()
			var keys []string
			for k := range d.queued {
				if _, ok := d.running[k]; !ok {
					keys = append(keys, k)
				}
			}
			d.mu.Unlock()
			sort.Strings(keys)
			for _, k := range keys {
				d.tryStart(k)
			}
		}
	}
}

// Trigger asks for a prebuild: it starts now when the class is free, or is
// queued.
func (d *Dispatcher) Trigger(j Job) {
	k := LeaseKey(j.Project, j.Class)
	d.mu.Lock()
	if d.queued == nil {
		d.queued, d.running = map[string]Job{}, map[string]JobState{}
	}
	if q, ok := d.queued[k]; ok && q.Commit != j.Commit {
		log.G(d.context()).Info("queued prebuild replaced by a newer trigger", "class", j.Class, "project", j.Project, "old", q.Commit, "new", j.Commit)
	}
	d.queued[k] = j
	_, busy := d.running[k]
	d.mu.Unlock()
	if busy {
		log.G(d.context()).Info("prebuild queued: the class is running on this host", "project", j.Project, "class", j.Class, "commit", j.Commit)
		return
	}
	d.tryStart(k)
}

func (d *Dispatcher) context() context.Context {
	if d.ctx != nil {
		return d.ctx
	}
	return context.Background()
}

// tryStart takes the queued job of k when the lease can be had.
func (d *Dispatcher) tryStart(k string) {
	d.mu.Lock()
	ctx := d.context()
	j, ok := d.queued[k]
	_, busy := d.running[k]
	if !ok || busy || ctx.Err() != nil {
		d.mu.Unlock()
		return
	}
	// Reserve the class on this host while asking for the lease.
	d.running[k] = JobState{Job: j, State: "starting"}
	delete(d.queued, k)
	d.mu.Unlock()

	hold, err := d.Lease.Acquire(ctx, j.Project, j.Class, d.Holder, d.TTL)
	if err != nil {
		if in, held := lease.IsHeld(err); held {
			log.G(ctx).Info("prebuild queued: the class runs on another host", "project", j.Project, "class", j.Class, "commit", j.Commit, "holder", in.Holder, "since", in.AcquiredAt)
		} else {
			log.G(ctx).Warn("prebuild lease", "key", k, "error", err)
		}
		d.mu.Lock()
		delete(d.running, k)
		if _, newer := d.queued[k]; !newer {
			d.queued[k] = j
		}
		d.mu.Unlock()
		return
	}
	d.mu.Lock()
	d.running[k] = JobState{Job: j, State: "running", Started: time.Now()}
	d.mu.Unlock()
	d.wg.Add(1)
	go d.run(ctx, k, j, hold)
}

// current reports whether j is a push job the class's active prebuild
// already has the commit of.
func (d *Dispatcher) current(ctx context.Context, j Job) bool {
	if d.Catalog == nil || j.Trigger != prebuild.TriggerPush {
		return false
	}
	list, err := d.Catalog.List(ctx, j.Project)
	if err != nil {
		log.G(ctx).Warn("listing prebuilds before a push prebuild (running it)", "project", j.Project, "error", err)
		return false
	}
	p, ok := prebuild.Select(list, j.Class, time.Now())
	return ok && p.Commit == j.Commit
}

// run runs j while the lease is held; losing the lease cancels it.
func (d *Dispatcher) run(ctx context.Context, k string, j Job, hold Hold) {
	defer d.wg.Done()
	rctx, cancel := context.WithCancelCause(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-rctx.Done():
		case <-hold.Lost():
			cancel(fmt.Errorf("lost the prebuild lease of %s/%s: %w", j.Project, j.Class, errdefs.ErrAborted))
		}
	}()
	var err error
	if d.current(rctx, j) {
		log.G(ctx).Info("prebuild skipped: the class's active prebuild is at this commit", "project", j.Project, "class", j.Class, "commit", j.Commit, "source", j.Source)
	} else {
		log.G(ctx).Info("prebuild dispatched", "project", j.Project, "class", j.Class, "commit", j.Commit, "source", j.Source)
		err = d.Run(rctx, j)
	}
	if cause := context.Cause(rctx); err != nil && cause != nil && !errors.Is(err, cause) {
		err = fmt.Errorf("%w (%w)", err, cause)
	}
	cancel(nil)
	<-watched
	if err != nil {
		log.G(ctx).Error("prebuild failed", "project", j.Project, "class", j.Class, "commit", j.Commit, "error", err)
	}
	if err := hold.Release(context.WithoutCancel(ctx)); err != nil {
		log.G(ctx).Warn("releasing the prebuild lease (it expires)", "key", k, "error", err)
	}
	d.mu.Lock()
	delete(d.running, k)
	d.mu.Unlock()
	d.tryStart(k) // a trigger that came meanwhile
}

// Jobs lists what the dispatcher holds, running first.
func (d *Dispatcher) Jobs() []JobState {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []JobState
	for _, s := range d.running {
		out = append(out, s)
	}
	for _, j := range d.queued {
		out = append(out, JobState{Job: j, State: "queued"})
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].State != out[b].State {
			return out[a].State > out[b].State // running, queued
		}
		return LeaseKey(out[a].Project, out[a].Class) < LeaseKey(out[b].Project, out[b].Class)
	})
	return out
}
