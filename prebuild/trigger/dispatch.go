package trigger

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild"
)

// Lease is held by one runner host at a time per key, in a place every host
// reaches (devcache-proxy); it expires after its ttl unless renewed, so a
// holder that dies frees it.
type Lease interface {
	// Acquire takes key for holder; false (and no error) when another
	// holder has it.
	Acquire(ctx context.Context, key, holder string, ttl time.Duration) (bool, error)
	// Renew extends holder's lease; an error when it is no longer held.
	Renew(ctx context.Context, key, holder string, ttl time.Duration) error
	// Release frees holder's lease.
	Release(ctx context.Context, key, holder string) error
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

// LeaseKey names the lease of a project's class.
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
// trigger replaces the queued one (newest commit wins).
type Dispatcher struct {
	Lease Lease
	// Holder names this runner host in the lease.
	Holder string
	TTL    time.Duration
	// Retry is how often a job queued behind another host's lease asks
	// again (default TTL/3).
	Retry time.Duration
	Run   func(ctx context.Context, j Job) error

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

	got, err := d.Lease.Acquire(ctx, k, d.Holder, d.TTL)
	if err != nil || !got {
		if err != nil {
			log.G(ctx).Warn("prebuild lease", "key", k, "error", err)
		} else {
			log.G(ctx).Info("prebuild queued: the class runs on another host", "project", j.Project, "class", j.Class, "commit", j.Commit)
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
	go d.run(ctx, k, j)
}

// run runs j while renewing its lease; losing the lease cancels it.
func (d *Dispatcher) run(ctx context.Context, k string, j Job) {
	defer d.wg.Done()
	rctx, cancel := context.WithCancelCause(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(d.TTL / 3)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-t.C:
				if err := d.Lease.Renew(rctx, k, d.Holder, d.TTL); err != nil && rctx.Err() == nil {
					cancel(fmt.Errorf("lost the prebuild lease %s: %w", k, err))
					return
				}
			}
		}
	}()
	log.G(ctx).Info("prebuild dispatched", "project", j.Project, "class", j.Class, "commit", j.Commit, "source", j.Source)
	err := d.Run(rctx, j)
	if cause := context.Cause(rctx); err != nil && cause != nil && !errors.Is(err, cause) {
		err = fmt.Errorf("%w (%w)", err, cause)
	}
	cancel(nil)
	<-renewed
	if err != nil {
		log.G(ctx).Error("prebuild failed", "project", j.Project, "class", j.Class, "commit", j.Commit, "error", err)
	}
	if err := d.Lease.Release(context.WithoutCancel(ctx), k, d.Holder); err != nil {
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
