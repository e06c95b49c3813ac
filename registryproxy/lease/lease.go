package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/registryproxy/objstore"
)

// Lease lifetimes.
const (
	// DefaultTTL is how long a lease lives without a renewal.
	DefaultTTL = 2 * time.Minute
	MinTTL     = 5 * time.Second
	MaxTTL     = 10 * time.Minute
)

// Info is a lease as the endpoint reports it. ID, the holder's proof, is
// only sent to the holder.
type Info struct {
	Key        string    `json:"key"`
	Holder     string    `json:"holder"`
	ID         string    `json:"id,omitempty"`
	AcquiredAt time.Time `json:"acquired_at"`
	RenewedAt  time.Time `json:"renewed_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// Public is i without its ID.
func (i Info) Public() Info { i.ID = ""; return i }

// Live reports whether the lease is unexpired at now.
func (i Info) Live(now time.Time) bool { return now.Before(i.ExpiresAt) }

// Store is where leases live (objstore: files or an S3 bucket).
type Store = objstore.Store

// Manager applies the lease rules over a Store.
type Manager struct {
	Store Store
	Now   func() time.Time
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// ClampTTL bounds a requested lifetime (0 means DefaultTTL).
func ClampTTL(ttl time.Duration) time.Duration {
	if ttl == 0 {
		return DefaultTTL
	}
	return max(MinTTL, min(ttl, MaxTTL))
}

// HeldError is the answer to an Acquire of a live lease held by another.
type HeldError struct{ Info Info }

func (e *HeldError) Error() string {
	return fmt.Sprintf("lease %s is held by %s since %s", e.Info.Key, e.Info.Holder, e.Info.AcquiredAt.Format(time.RFC3339))
}

// Unwrap makes a HeldError an errdefs.ErrConflict.
func (e *HeldError) Unwrap() error { return errdefs.ErrConflict }

// Acquire takes the lease of key for holder: when it is absent, or expired
// (its holder stopped renewing). A live lease answers *HeldError.
func (m *Manager) Acquire(ctx context.Context, key, holder string, ttl time.Duration) (Info, error) {
	for range 5 {
		now := m.now().UTC()
		in := Info{Key: key, Holder: holder, ID: newID(), AcquiredAt: now, RenewedAt: now, ExpiresAt: now.Add(ClampTTL(ttl))}
		data, _ := json.Marshal(in)
		cur, ver, err := m.get(ctx, key)
		switch {
		case errdefs.IsNotFound(err):
			err = m.Store.Create(ctx, key, data)
			if errdefs.IsAlreadyExists(err) {
				continue // raced another acquirer: read who won
			}
		case err != nil:
			return Info{}, err
		case cur.Live(now):
			return Info{}, &HeldError{Info: cur.Public()}
		default:
			err = m.Store.Replace(ctx, key, data, ver)
			if errdefs.IsConflict(err) {
				continue
			}
		}
		if err != nil {
			return Info{}, fmt.Errorf("lease %s: %w", key, err)
		}
		return in, nil
	}
	return Info{}, fmt.Errorf("lease %s: too much contention: %w", key, errdefs.ErrUnavailable)
}

// Renew extends the lease id holds; errdefs.ErrNotFound when it is no
// longer id's (expired and taken over, or released).
func (m *Manager) Renew(ctx context.Context, key, id string, ttl time.Duration) (Info, error) {
	for range 5 {
		cur, ver, err := m.get(ctx, key)
		if err != nil {
			return Info{}, err
		}
		if cur.ID != id {
			return Info{}, fmt.Errorf("lease %s is no longer yours (held by %s): %w", key, cur.Holder, errdefs.ErrNotFound)
		}
		now := m.now().UTC()
		cur.RenewedAt, cur.ExpiresAt = now, now.Add(ClampTTL(ttl))
		data, _ := json.Marshal(cur)
		err = m.Store.Replace(ctx, key, data, ver)
		if errdefs.IsConflict(err) {
			continue
		}
		if err != nil {
			return Info{}, fmt.Errorf("lease %s: %w", key, err)
		}
		return cur, nil
	}
	return Info{}, fmt.Errorf("lease %s: too much contention: %w", key, errdefs.ErrUnavailable)
}

// Release gives the lease up; releasing one that is not id's is a no-op.
func (m *Manager) Release(ctx context.Context, key, id string) error {
	for range 5 {
		cur, ver, err := m.get(ctx, key)
		if errdefs.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if cur.ID != id {
			return nil
		}
		if err := m.Store.Delete(ctx, key, ver); !errdefs.IsConflict(err) {
			return err
		}
	}
	return fmt.Errorf("lease %s: too much contention: %w", key, errdefs.ErrUnavailable)
}

// Get returns the current lease of key (live or not) without its ID.
func (m *Manager) Get(ctx context.Context, key string) (Info, error) {
	i, _, err := m.get(ctx, key)
	return i.Public(), err
}

func (m *Manager) get(ctx context.Context, key string) (Info, string, error) {
	data, ver, err := m.Store.Get(ctx, key)
	if err != nil {
		return Info{}, "", err
	}
	var i Info
	if err := json.Unmarshal(data, &i); err != nil {
		// A torn or foreign object: treat it as an expired lease so that
		// it is replaced, never as a live one that blocks forever.
		return Info{Key: key}, ver, nil
	}
	return i, ver, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
