package trigger

import (
	"sync"
	"time"
)

// Debouncer turns a burst of pushes to one branch into one prebuild of the
// newest commit: a push starts a quiet period; each later push to the
// branch restarts it, but a burst waits at most Max after its first push.
type Debouncer struct {
	Quiet, Max time.Duration
	// Fire receives the newest push of a burst.
	Fire func(Push)
	// AfterFunc is the timer (default time.AfterFunc); it returns the
	// timer's Stop.
	AfterFunc func(time.Duration, func()) func() bool
	Now       func() time.Time

	mu     sync.Mutex
	bursts map[burstKey]*burst
}

type burstKey struct{ project, branch string }

type burst struct {
	last  Push
	first time.Time
	n     int
	stop  func() bool
	seq   int
}

// Add takes one push.
func (d *Debouncer) Add(p Push) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.bursts == nil {
		d.bursts = map[burstKey]*burst{}
	}
	now := d.now()
	k := burstKey{p.Project, p.Branch}
	b := d.bursts[k]
	if b == nil {
		b = &burst{first: now}
		d.bursts[k] = b
	} else if b.stop != nil {
		b.stop()
	}
	b.last, b.n = p, b.n+1
	b.seq++
	wait := min(d.Quiet, max(0, b.first.Add(d.Max).Sub(now)))
	seq := b.seq
	b.stop = d.afterFunc(wait, func() { d.fire(k, seq) })
}

func (d *Debouncer) fire(k burstKey, seq int) {
	d.mu.Lock()
	b := d.bursts[k]
	if b == nil || b.seq != seq {
		d.mu.Unlock()
		return // a later push restarted the burst
	}
	delete(d.bursts, k)
	d.mu.Unlock()
	d.Fire(b.last)
}

func (d *Debouncer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Debouncer) afterFunc(w time.Duration, f func()) func() bool {
	if d.AfterFunc != nil {
		return d.AfterFunc(w, f)
	}
	return time.AfterFunc(w, f).Stop
}
