// Package objstoretest checks that an objstore.Store keeps its promises
// under contention: one unit test runs it on the filesystem store, an
// integration test on the stack's SeaweedFS bucket.
package objstoretest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/registryproxy/objstore"
)

// Run checks s: of n concurrent creates of one key exactly one wins; of n
// concurrent replaces from one version exactly one wins; stale versions
// neither replace nor delete; a delete of a gone object is a no-op.
func Run(t *testing.T, s objstore.Store, key string) {
	ctx := context.Background()
	_, _, err := s.Get(ctx, key)
	require.True(t, errdefs.IsNotFound(err), "absent object: %v", err)

	const n = 50
	wins := race(n, func(i int) error { return s.Create(ctx, key, fmt.Appendf(nil, `{"n":%d}`, i)) }, errdefs.IsAlreadyExists, t)
	require.Len(t, wins, 1, "exactly one create wins")
	data, ver, err := s.Get(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf(`{"n":%d}`, wins[0]), string(data), "the winner's bytes are stored")

	wins = race(n, func(i int) error { return s.Replace(ctx, key, fmt.Appendf(nil, `{"r":%d}`, i), ver) }, errdefs.IsConflict, t)
	require.Len(t, wins, 1, "exactly one replace from one version wins")
	data, ver2, err := s.Get(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf(`{"r":%d}`, wins[0]), string(data))
	assert.NotEqual(t, ver, ver2)

	assert.True(t, errdefs.IsConflict(s.Replace(ctx, key, []byte(`{}`), ver)), "a stale version does not replace")
	assert.True(t, errdefs.IsConflict(s.Delete(ctx, key, ver)), "a stale version does not delete")
	require.NoError(t, s.Delete(ctx, key, ver2))
	_, _, err = s.Get(ctx, key)
	assert.True(t, errdefs.IsNotFound(err), "deleted: %v", err)
	require.NoError(t, s.Delete(ctx, key, ver2), "deleting a gone object is a no-op")
	assert.True(t, errdefs.IsConflict(s.Replace(ctx, key, []byte(`{}`), ver2)), "a gone object is not replaced")
}

// race runs f(0..n-1) at once and returns the indexes that succeeded;
// every failure must satisfy lost.
func race(n int, f func(int) error, lost func(error) bool, t *testing.T) []int {
	var (
		mu   sync.Mutex
		wins []int
		wg   sync.WaitGroup
	)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := f(i)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins = append(wins, i)
				return
			}
			assert.True(t, lost(err), "a loser is told it lost, not failed: %v", err)
		}()
	}
	close(start)
	wg.Wait()
	return wins
}
