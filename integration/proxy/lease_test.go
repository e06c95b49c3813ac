package proxy

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/config"
	"github.com/devcache/devcache/registryproxy/lease"
)

func leaseClient(p *proxy, project string, purpose contract.Purpose) *lease.Client {
	c := p.credential(project, purpose)
	return &lease.Client{Host: p.Host, Username: c.Username, Password: c.Password}
}

// TestBuildLease: through two replicas sharing one embedded registry's
// storage, of ten runners asking at once exactly one gets the lease and the
// others see who holds it and since when; renewals keep it past its TTL; a
// holder that stops renewing (killed) loses it to the next runner within
// the TTL; pull-only and other projects' credentials are refused.
func TestBuildLease(t *testing.T) {
	ctx := context.Background()
	keys := filepath.Join(t.TempDir(), "keys.json")
	a := startProxy(t, func(c *config.Config) { c.Auth.KeysFile = keys })
	b := startProxy(t, func(c *config.Config) {
		c.Auth.KeysFile = keys
		c.Server.StateDir = a.svc.Config.Server.StateDir // one storage, as replicas over one bucket
		c.Backend.EmbeddedListen = "unix:" + filepath.Join(t.TempDir(), "b.sock")
	})

	const n = 10
	var wg sync.WaitGroup
	held := make([]*lease.Held, n)
	errs := make([]error, n)
	for i := range n {
		p := a
		if i%2 == 1 {
			p = b
		}
		c := leaseClient(p, "alpha", contract.PurposeCreate)
		wg.Add(1)
		go func() {
			defer wg.Done()
			held[i], errs[i] = c.Acquire(ctx, repoA, "key1", "runner", 6*time.Second)
		}()
	}
	wg.Wait()
	var holder *lease.Held
	for i := range n {
		if errs[i] == nil {
			require.Nil(t, holder, "a second runner got the lease")
			holder = held[i]
			continue
		}
		in, ok := lease.IsHeld(errs[i])
		require.True(t, ok, "%v", errs[i])
		assert.Equal(t, "runner", in.Holder)
		assert.Empty(t, in.ID, "only the holder learns the lease id")
		assert.False(t, in.AcquiredAt.IsZero())
	}
	require.NotNil(t, holder)

	other := leaseClient(b, "alpha", contract.PurposeCreate)
	time.Sleep(8 * time.Second) // past the 6 s TTL: renewed in the background
	_, err := other.Acquire(ctx, repoA, "key1", "other", 6*time.Second)
	_, ok := lease.IsHeld(err)
	require.True(t, ok, "a renewed lease stays held: %v", err)

	// A holder that dies never renews nor releases: a bare POST.
	tokA := a.pushToken(a.credential("alpha", contract.PurposeCreate), repoA)
	r := a.do(http.MethodPost, lease.Path(repoA, "key2"), tokA, []byte(`{"holder":"dead","ttl":"5s"}`), nil)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	start := time.Now()
	var took *lease.Held
	eventually(t, 15*time.Second, func() bool {
		took, err = other.Acquire(ctx, repoA, "key2", "other", 6*time.Second)
		return err == nil
	})
	assert.Less(t, time.Since(start), 8*time.Second, "taken over within the TTL")
	require.NoError(t, took.Release(ctx))
	_, err = other.Get(ctx, repoA, "key2")
	assert.True(t, errdefs.IsNotFound(err), "released: %v", err)
	require.NoError(t, holder.Release(ctx))

	_, err = leaseClient(a, "alpha", contract.PurposeRebuild).Acquire(ctx, repoA, "key3", "rebuild", 0)
	assert.True(t, errdefs.IsPermissionDenied(err), "pull-only credentials take no lease: %v", err)
	_, err = leaseClient(a, "beta", contract.PurposeCreate).Acquire(ctx, repoA, "key3", "beta", 0)
	assert.True(t, errdefs.IsPermissionDenied(err), "another project's credential takes no lease: %v", err)

	r = a.do(http.MethodGet, "/devcache/v1/leases/projects/alpha/image-build/%2e%2e", tokA, nil, nil)
	assert.Equal(t, http.StatusBadRequest, r.Status, "escaped lease paths are refused")
}
