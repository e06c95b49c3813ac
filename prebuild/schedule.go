package prebuild

import (
	"fmt"
	"time"

	"github.com/containerd/errdefs"
)

// ClockSkew is how much earlier than its slot a scheduled prebuild may have
// been stamped (another runner host's clock) and still count for it.
const ClockSkew = 5 * time.Minute

// Due reports whether the daily scheduled prebuild of class (at, UTC since
// midnight) should run at now: no scheduled prebuild of the class
// (successful or failed) was recorded since the most recent slot (the last
// time of day at, at or before now). Counting from the slot rather than
// "24 hours since the last one" keeps a run stamped just after its wake-up
// from making the next day's wake-up, a little under 24 hours later, skip.
// Reading the registry makes several runner hosts agree; a host that runs it
// late sees the others' prebuild.
func Due(list []Prebuild, class string, now time.Time, at time.Duration) bool {
	slot := LastSlot(now, at)
	for _, p := range list {
		if p.EnvironmentClass == class && p.Trigger == TriggerSchedule && !p.Created.Before(slot.Add(-ClockSkew)) {
			return false
		}
	}
	return true
}

// LastSlot is the most recent time of day at (UTC) at or before now.
func LastSlot(now time.Time, at time.Duration) time.Time {
	return NextRun(now, at).AddDate(0, 0, -1)
}

// ParseAt reads a daily time of day "HH:MM" (UTC).
func ParseAt(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("time of day %q: want HH:MM (UTC): %w", s, errdefs.ErrInvalidArgument)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// NextRun is the first time of day at (UTC, since midnight) strictly after
// now.
func NextRun(now time.Time, at time.Duration) time.Time {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	next := day.Add(at)
	if !next.After(now) {
		next = day.AddDate(0, 0, 1).Add(at)
	}
	return next
}
