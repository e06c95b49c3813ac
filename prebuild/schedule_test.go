package prebuild

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/prebuild/phase"
)

func TestDue(t *testing.T) {
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	list := []Prebuild{
		{ID: "m", Trigger: TriggerManual, EnvironmentClass: "small", Phase: phase.Completed, Created: now.Add(-time.Hour)},
		{ID: "s", Trigger: TriggerSchedule, EnvironmentClass: "small", Phase: phase.Failed, Created: now.Add(-23 * time.Hour)},
	}
	require.False(t, Due(list, "small", now, Daily), "a scheduled prebuild ran within the day (failed counts: no retry storm)")
	require.True(t, Due(list, "small", now.Add(time.Hour), Daily))
	require.True(t, Due(list, "large", now, Daily), "other classes have their own schedule")
	require.True(t, Due(nil, "small", now, Daily))
}

func TestNextRun(t *testing.T) {
	at, err := ParseAt("03:30")
	require.NoError(t, err)
	now := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	require.Equal(t, time.Date(2026, 11, 22, 3, 30, 0, 0, time.UTC), NextRun(now, at))
	require.Equal(t, time.Date(2026, 11, 23, 3, 30, 0, 0, time.UTC), NextRun(now.Add(150*time.Minute), at), "exactly at the time: the next day")
	require.Equal(t, time.Date(2026, 11, 23, 3, 30, 0, 0, time.UTC), NextRun(now.Add(4*time.Hour), at))
	_, err = ParseAt("25:00")
	require.Error(t, err)
}
