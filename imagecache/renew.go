package imagecache

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/devcache/devcache/internal/log"
)

// CredentialSource answers a registry host's current credentials: nil (and
// no error) for a host it does not serve. Sources compose (Auth); each one
// is asked again whenever a client needs a token, so a renewed credential
// is used from the next request on.
type CredentialSource interface {
	Credentials(ctx context.Context, host string) (*HostCredentials, error)
}

// Credentials makes fixed credentials a CredentialSource for their host.
func (c *HostCredentials) Credentials(_ context.Context, host string) (*HostCredentials, error) {
	if c == nil || c.Host != host {
		return nil, nil
	}
	return c, nil
}

// Auth is one credential source made of several, asked in order: the
// first that serves a host answers it. devcache build gives BuildKit's
// session, containerd's resolver and its own registry clients one Auth.
type Auth []CredentialSource

// Credentials asks each source in turn.
func (a Auth) Credentials(ctx context.Context, host string) (*HostCredentials, error) {
	for _, s := range a {
		if s == nil {
			continue
		}
		c, err := s.Credentials(ctx, host)
		if err != nil || c != nil {
			return c, err
		}
	}
	return nil, nil
}

// renewFraction is how much of a credential's life is left when Renewing
// asks for the next one: a third, so a 15 min credential is renewed 5 min
// before it ends and a 10 s one (tests) 3 s before.
const renewFraction = 3

// Renewing is a proxy credential of one (project, purpose) that renews
// itself: Current returns it while more than a third of its life is left,
// and otherwise asks Issue for a new one (same project and purpose: Issue
// is bound to them). A failed renewal keeps the old credential while it is
// still valid, and is retried on the next call.
type Renewing struct {
	// Host is the proxy's host:port, the only host Renewing serves.
	Host string
	// Issue asks the admin endpoint for a new credential.
	Issue func(ctx context.Context) (*HostCredentials, error)
	// Off switches renewal off (a test hook: the first credential is
	// used until it expires, as before renewal existed).
	Off bool

	mu       sync.Mutex
	cur      *HostCredentials
	issued   time.Time
	renewals int
	now      func() time.Time
}

// NewRenewing starts from first, just issued by issue.
func NewRenewing(first *HostCredentials, issue func(ctx context.Context) (*HostCredentials, error)) *Renewing {
	return &Renewing{Host: first.Host, Issue: issue, cur: first, issued: time.Now()}
}

// NewLazyRenewing issues its first credential for host when it is first
// asked: a prebuild's capture credential is taken when the capture starts,
// not before the setup runs.
func NewLazyRenewing(host string, issue func(ctx context.Context) (*HostCredentials, error)) *Renewing {
	return &Renewing{Host: host, Issue: issue}
}

// Credentials implements CredentialSource for the proxy's host.
func (r *Renewing) Credentials(ctx context.Context, host string) (*HostCredentials, error) {
	if r == nil || host != r.Host {
		return nil, nil
	}
	return r.Current(ctx)
}

// Renewals is how many times the credential was renewed.
func (r *Renewing) Renewals() int {
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.renewals
}

// Current returns a credential with at least a third of its life left
// (or the last one, when it has no expiry or renewal is off). A nil
// Renewing has no credential: nil, as anonymous.
func (r *Renewing) Current(ctx context.Context) (*HostCredentials, error) {
	if r == nil {
		return nil, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now
	if r.now != nil {
		now = r.now
	}
	t := now()
	if r.cur == nil {
		first, err := r.Issue(ctx)
		if err != nil {
			return nil, err
		}
		r.cur, r.issued = first, t
		return r.cur, nil
	}
	if r.Off || r.cur.ExpiresAt.IsZero() || r.cur.ExpiresAt.Sub(t) > r.cur.ExpiresAt.Sub(r.issued)/renewFraction {
		return r.cur, nil
	}
	next, err := r.Issue(ctx)
	if err != nil {
		if t.Before(r.cur.ExpiresAt) {
			log.G(ctx).Warn("could not renew the proxy credential, using the current one until it expires", "expires", r.cur.ExpiresAt, "error", err)
			return r.cur, nil
		}
		return nil, fmt.Errorf("renewing the proxy credential (expired %s): %w", r.cur.ExpiresAt.Format(time.RFC3339), err)
	}
	r.cur, r.issued = next, t
	r.renewals++
	log.G(ctx).Debug("renewed the proxy credential", "expires", next.ExpiresAt, "renewals", r.renewals)
	return r.cur, nil
}
