package lease

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/registryproxy/objstore"
)

func TestManagerOneHolder(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := &Manager{Store: &objstore.FS{Dir: t.TempDir()}, Now: func() time.Time { return now }}
	const n = 20
	var wg sync.WaitGroup
	won := make([]Info, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Two managers over one directory behave like two replicas.
			mm := &Manager{Store: &objstore.FS{Dir: m.Store.(*objstore.FS).Dir}, Now: m.Now}
			won[i], errs[i] = mm.Acquire(ctx, "k", "h", time.Minute)
		}()
	}
	wg.Wait()
	var winner Info
	wins := 0
	for i := range n {
		if errs[i] == nil {
			wins++
			winner = won[i]
			continue
		}
		_, held := IsHeld(errs[i])
		require.True(t, held, "losers see the holder: %v", errs[i])
	}
	require.Equal(t, 1, wins, "exactly one acquirer wins")

	_, err := m.Renew(ctx, "k", "not-mine", time.Minute)
	assert.True(t, errdefs.IsNotFound(err))
	now = now.Add(50 * time.Second)
	_, err = m.Renew(ctx, "k", winner.ID, time.Minute)
	require.NoError(t, err)
	now = now.Add(50 * time.Second) // 100 s after acquiring: alive thanks to the renewal
	_, err = m.Acquire(ctx, "k", "other", time.Minute)
	_, held := IsHeld(err)
	require.True(t, held)

	now = now.Add(time.Minute) // the holder stopped renewing
	taken, err := m.Acquire(ctx, "k", "other", time.Minute)
	require.NoError(t, err, "an expired lease is taken over")
	_, err = m.Renew(ctx, "k", winner.ID, time.Minute)
	assert.True(t, errdefs.IsNotFound(err), "the old holder learns it lost the lease")
	require.NoError(t, m.Release(ctx, "k", winner.ID), "a stale release is a no-op")
	cur, err := m.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "other", cur.Holder)
	require.NoError(t, m.Release(ctx, "k", taken.ID))
	_, err = m.Get(ctx, "k")
	assert.True(t, errdefs.IsNotFound(err))
}

func TestClampTTL(t *testing.T) {
	assert.Equal(t, DefaultTTL, ClampTTL(0))
	assert.Equal(t, MinTTL, ClampTTL(time.Millisecond))
	assert.Equal(t, MaxTTL, ClampTTL(time.Hour))
}
