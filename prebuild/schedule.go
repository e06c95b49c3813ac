package prebuild

import (
	"fmt"
	"time"

	"github.com/containerd/errdefs"
)

// Daily is the schedule's period.
const Daily = 24 * time.Hour

// Due reports whether a scheduled prebuild of class should run at now: no
// scheduled prebuild of the class (successful or failed) was recorded
// within the last period. Reading the registry makes several runner hosts
// agree; a host that runs it late sees the others' prebuild.
func Due(list []Prebuild, class string, now time.Time, period time.Duration) bool {
	for _, p := range list {
		if p.EnvironmentClass == class && p.Trigger == TriggerSchedule && now.Sub(p.Created) < period {
			return false
		}
	}
	return true
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
