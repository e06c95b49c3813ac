package trigger

import (
	"context"
	"time"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/lease"
)

// ProxyLease holds class leases in devcache-proxy's lease endpoint, which
// every runner host reaches: the lease of (project, class) is the key
// ClassLeaseKey(class) of the project's prebuild repository. The proxy
// expires a lease its holder stops renewing (a host that died, even by
// kill -9); lease.Client renews a held one every TTL/3.
type ProxyLease struct {
	// Client returns a lease client with credentials that may push to the
	// project's prebuild repository.
	Client func(ctx context.Context, project string) (*lease.Client, error)
}

// ClassLeaseKey is the lease key of an environment class in its
// project's prebuild repository (a valid tag: class names are).
func ClassLeaseKey(class string) string { return "class-" + class }

// Acquire implements Lease.
func (p *ProxyLease) Acquire(ctx context.Context, project, class, holder string, ttl time.Duration) (Hold, error) {
	c, err := p.Client(ctx, project)
	if err != nil {
		return nil, err
	}
	h, err := c.Acquire(ctx, contract.RepositoryName(project, contract.KindPrebuild), ClassLeaseKey(class), holder, ttl)
	if err != nil {
		return nil, err
	}
	return h, nil
}
