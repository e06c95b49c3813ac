package trigger

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/containerd/errdefs"
)

// LocalLease is a Lease held in this process: one prebuild per class on
// one runner host. Several hosts need the proxy's lease.
type LocalLease struct {
	mu     sync.Mutex
	held   map[string]localHold
	NowFor func() time.Time
}

type localHold struct {
	holder  string
	expires time.Time
}

func (l *LocalLease) now() time.Time {
	if l.NowFor != nil {
		return l.NowFor()
	}
	return time.Now()
}

// Acquire implements Lease.
func (l *LocalLease) Acquire(_ context.Context, key, holder string, ttl time.Duration) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held == nil {
		l.held = map[string]localHold{}
	}
	if h, ok := l.held[key]; ok && h.holder != holder && l.now().Before(h.expires) {
		return false, nil
	}
	l.held[key] = localHold{holder: holder, expires: l.now().Add(ttl)}
	return true, nil
}

// Renew implements Lease.
func (l *LocalLease) Renew(_ context.Context, key, holder string, ttl time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.held[key]
	if !ok || h.holder != holder || !l.now().Before(h.expires) {
		return fmt.Errorf("lease %s is not held by %s: %w", key, holder, errdefs.ErrNotFound)
	}
	l.held[key] = localHold{holder: holder, expires: l.now().Add(ttl)}
	return nil
}

// Release implements Lease.
func (l *LocalLease) Release(_ context.Context, key, holder string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h, ok := l.held[key]; ok && h.holder == holder {
		delete(l.held, key)
	}
	return nil
}
