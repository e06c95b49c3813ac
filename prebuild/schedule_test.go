package prebuild

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/prebuild/phase"
)

func TestDue(t *testing.T) {
	at := 3 * time.Hour
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	list := []Prebuild{
		{ID: "m", Trigger: TriggerManual, EnvironmentClass: "small", Phase: phase.Completed, Created: now.Add(time.Minute)},
		{ID: "s", Trigger: TriggerSchedule, EnvironmentClass: "small", Phase: phase.Failed, Created: now.Add(time.Second)},
	}
	require.False(t, Due(list, "small", now.Add(time.Hour), at), "a scheduled prebuild ran in this slot (failed counts: no retry storm)")
	require.False(t, Due(list, "small", now.Add(23*time.Hour), at), "still the same day's slot")
	require.True(t, Due(list, "small", now.Add(24*time.Hour), at), "the next day's slot, a second less than 24 h after the last run")
	require.True(t, Due(list, "large", now.Add(time.Hour), at), "other classes have their own schedule")
	require.True(t, Due(nil, "small", now, at))
	skewed := []Prebuild{{Trigger: TriggerSchedule, EnvironmentClass: "small", Created: now.Add(-time.Minute)}}
	require.False(t, Due(skewed, "small", now.Add(time.Second), at), "another host's clock a minute ahead ran this slot")
}

// TestScheduleTenDays simulates serve's loop (NextRun, then Due, then a
// prebuild stamped a little after the wake-up) over 10 days: 10 runs.
func TestScheduleTenDays(t *testing.T) {
	at, err := ParseAt("03:00")
	require.NoError(t, err)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	end := now.AddDate(0, 0, 10)
	var list []Prebuild
	runs := 0
	for {
		now = NextRun(now, at)
		if now.After(end) {
			break
		}
		if Due(list, "small", now, at) {
			runs++
			// The prebuild is stamped after the wake-up (and runs a while).
			list = append(list, Prebuild{Trigger: TriggerSchedule, EnvironmentClass: "small", Created: now.Add(1500 * time.Millisecond)})
			now = now.Add(40 * time.Minute)
		}
	}
	require.Equal(t, 10, runs)
}

func TestNextRun(t *testing.T) {
	at, err := ParseAt("03:30")
	require.NoError(t, err)
	now := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	require.Equal(t, time.Date(2026, 11, 22, 3, 30, 0, 0, time.UTC), NextRun(now, at))
	require.Equal(t, time.Date(2026, 11, 23, 3, 30, 0, 0, time.UTC), NextRun(now.Add(150*time.Minute), at), "exactly at the time: the next day")
	require.Equal(t, time.Date(2026, 11, 23, 3, 30, 0, 0, time.UTC), NextRun(now.Add(4*time.Hour), at))
	require.Equal(t, time.Date(2026, 11, 21, 3, 30, 0, 0, time.UTC), LastSlot(now, at))
	require.Equal(t, time.Date(2026, 11, 22, 3, 30, 0, 0, time.UTC), LastSlot(now.Add(150*time.Minute), at), "exactly at the time: this slot")
	_, err = ParseAt("25:00")
	require.Error(t, err)
}
