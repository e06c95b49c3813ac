package prebuild

import (
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/prebuild/phase"
)

func TestExecutionTimeout(t *testing.T) {
	d, err := ExecutionTimeout(0)
	require.NoError(t, err)
	require.Equal(t, time.Hour, d)
	for _, ok := range []time.Duration{5 * time.Minute, 90 * time.Minute, 2 * time.Hour} {
		d, err := ExecutionTimeout(ok)
		require.NoError(t, err)
		require.Equal(t, ok, d)
	}
	for _, bad := range []time.Duration{time.Minute, 4*time.Minute + 59*time.Second, 2*time.Hour + time.Second, -time.Hour} {
		_, err := ExecutionTimeout(bad)
		require.True(t, errdefs.IsInvalidArgument(err), "%s", bad)
	}
}

func TestSelectAndRetention(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	list := []Prebuild{
		{ID: "a", Phase: phase.Completed, EnvironmentClass: "small", Created: now.Add(-3 * time.Hour)},
		{ID: "b", Phase: phase.Completed, EnvironmentClass: "small", Created: now.Add(-1 * time.Hour)},
		{ID: "c", Phase: phase.Failed, EnvironmentClass: "small", Created: now.Add(-1 * time.Minute)},
		{ID: "d", Phase: phase.Completed, EnvironmentClass: "large", Created: now.Add(-7*24*time.Hour - time.Second)},
	}
	p, ok := Select(list, "small", now)
	require.True(t, ok)
	require.Equal(t, "b", p.ID)
	_, ok = Select(list, "large", now)
	require.False(t, ok, "expired prebuilds are not selected")
	p, ok = Select(list, "large", now.Add(-time.Hour))
	require.True(t, ok, "one hour earlier it had not expired")
	require.Equal(t, "d", p.ID)
	require.True(t, Expired(Prebuild{Created: now.Add(-Retention)}, now))
	require.False(t, Expired(Prebuild{Created: now.Add(-Retention + time.Second)}, now))
}
