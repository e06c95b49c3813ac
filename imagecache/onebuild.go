package imagecache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/registryproxy/lease"
)

// OneBuild makes runners that miss the same key build it once: the first
// takes the key's build lease in the proxy and builds; the others wait for
// its image and pull it. A lease expires when its holder stops renewing it
// (a dead builder), and a waiting runner builds itself after Wait.
type OneBuild struct {
	// Holder names this runner in the lease (default the hostname and pid).
	Holder string
	// TTL is the lease's lifetime between renewals (default lease.DefaultTTL).
	TTL time.Duration
	// Wait bounds how long a runner waits for another's build (default 30m).
	Wait time.Duration
	// Poll is how often a waiting runner looks for the image (default 3s).
	Poll time.Duration
}

// WaitingMessage is logged once when another runner holds the build lease.
func WaitingMessage(started time.Duration) string {
	return fmt.Sprintf("another runner is building this dev container (started %s ago); waiting", started.Round(time.Second))
}

// Leases is the lease endpoint as the cache uses it (lease.Client).
type Leases interface {
	Acquire(ctx context.Context, repository, key, holder string, ttl time.Duration) (*lease.Held, error)
}

func (o *OneBuild) withDefaults() OneBuild {
	v := *o
	if v.Holder == "" {
		h, _ := os.Hostname()
		v.Holder = fmt.Sprintf("%s/%d", h, os.Getpid())
	}
	if v.TTL == 0 {
		v.TTL = lease.DefaultTTL
	}
	if v.Wait == 0 {
		v.Wait = 30 * time.Minute
	}
	if v.Poll == 0 {
		v.Poll = 3 * time.Second
	}
	return v
}

// awaitBuilder runs before a build that would push ref. It returns the
// held lease (build, then release it), or the image another runner built
// meanwhile, or neither (build without a lease: the endpoint failed, or
// the wait ran out).
func (c *Cache) awaitBuilder(ctx context.Context, res *Result, project, ref, tag string, src *Renewing) (*lease.Held, *CachedImage) {
	o := c.OneBuild.withDefaults()
	leases := c.leases(src)
	repo := contract.RepositoryName(project, contract.KindImageBuild)
	start := time.Now()
	deadline := start.Add(o.Wait)
	logged := false
	defer func() {
		if logged {
			res.phase("wait", start)
		}
	}()
	for {
		held, err := leases.Acquire(ctx, repo, tag, o.Holder, o.TTL)
		if err == nil {
			// The previous holder may have pushed just before it released.
			if hit, err := c.lookup(ctx, ref, src); err == nil {
				_ = held.Release(context.WithoutCancel(ctx))
				return nil, hit
			}
			return held, nil
		}
		in, isHeld := lease.IsHeld(err)
		if !isHeld {
			if ctx.Err() == nil {
				warn(ctx, res, "build lease unavailable, building without waiting for other runners: %v", err)
			}
			return nil, nil
		}
		if !logged {
			log.G(ctx).Info(WaitingMessage(time.Since(in.AcquiredAt)), "holder", in.Holder, "since", in.AcquiredAt, "key", tag)
			logged = true
			res.Waited = true
		}
		if time.Now().After(deadline) {
			warn(ctx, res, "waited %s for another runner's build of this dev container; building here", o.Wait)
			return nil, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil
		case <-time.After(o.Poll):
		}
		hit, err := c.lookup(ctx, ref, src)
		if err == nil {
			return nil, hit
		}
		if !cerrdefs.IsNotFound(err) && !errors.Is(err, context.Canceled) {
			log.G(ctx).Debug("lookup while waiting failed", "error", err)
		}
	}
}

func (c *Cache) leases(src CredentialSource) Leases {
	if c.Leases != nil {
		return c.Leases(src)
	}
	// The lease is kept alive while the build runs: its client asks src
	// whenever it fetches a token.
	return &lease.Client{Host: c.ProxyHost, Auth: Authenticator(src, c.ProxyHost)}
}
