package trigger

import (
	"context"
	"sync"
	"time"

	"github.com/devcache/devcache/registryproxy/lease"
)

// LocalLease is a Lease held in this process: one prebuild per class on
// one runner host (serve without devcache-proxy). Several hosts need the
// proxy's lease (ProxyLease). A hold lives as long as the process, so it
// needs no expiry.
type LocalLease struct {
	mu   sync.Mutex
	held map[string]*localHold
}

type localHold struct {
	l    *LocalLease
	key  string
	info lease.Info
	once sync.Once
}

// Acquire implements Lease.
func (l *LocalLease) Acquire(_ context.Context, project, class, holder string, ttl time.Duration) (Hold, error) {
	k := LeaseKey(project, class)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held == nil {
		l.held = map[string]*localHold{}
	}
	if h, ok := l.held[k]; ok {
		return nil, &lease.HeldError{Info: h.info}
	}
	now := time.Now().UTC()
	h := &localHold{l: l, key: k, info: lease.Info{Key: k, Holder: holder, AcquiredAt: now, RenewedAt: now, ExpiresAt: now.Add(ttl)}}
	l.held[k] = h
	return h, nil
}

// Lost implements Hold: a hold in this process is never taken over.
func (h *localHold) Lost() <-chan struct{} { return nil }

// Release implements Hold.
func (h *localHold) Release(context.Context) error {
	h.once.Do(func() {
		h.l.mu.Lock()
		defer h.l.mu.Unlock()
		if h.l.held[h.key] == h {
			delete(h.l.held, h.key)
		}
	})
	return nil
}
