package token

import (
	"sync"
	"time"
)

// maxCachedTokens bounds each verified-token cache; when full it is reset.
const maxCachedTokens = 10000

// verifiedCache remembers tokens whose signature and claims were checked,
// until they expire. Only the exp check is repeated on a hit: everything
// else in a signed token is immutable.
type verifiedCache[C any] struct {
	mu sync.RWMutex
	m  map[string]cached[C]
}

type cached[C any] struct {
	claims C
	exp    time.Time
}

func (c *verifiedCache[C]) get(tok string, now time.Time, leeway time.Duration) (C, bool) {
	c.mu.RLock()
	e, ok := c.m[tok]
	c.mu.RUnlock()
	if !ok || !now.Before(e.exp.Add(leeway)) {
		var zero C
		return zero, false
	}
	return e.claims, true
}

func (c *verifiedCache[C]) put(tok string, claims C, exp time.Time) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = make(map[string]cached[C])
	}
	c.m[tok] = cached[C]{claims, exp}
	c.mu.Unlock()
}
