package inflight

import (
	"context"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/prebuild/phase"
)

func TestStoreFollowsTheMachine(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	m, err := phase.New(ctx, "20261122T000000Z-a", "p", phase.WithStore(s))
	require.NoError(t, err)
	require.NoError(t, m.To(ctx, phase.Starting))

	// Another process (another Store on the same directory) sees it.
	other, err := Open(dir)
	require.NoError(t, err)
	r, err := other.Get(ctx, "20261122T000000Z-a")
	require.NoError(t, err)
	require.Equal(t, phase.Starting, r.Phase)
	require.Len(t, r.Transitions, 2)

	list, err := other.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)

	require.NoError(t, s.Delete(ctx, "20261122T000000Z-a"))
	_, err = s.Get(ctx, "20261122T000000Z-a")
	require.True(t, errdefs.IsNotFound(err))
}
