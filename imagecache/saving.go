package imagecache

import (
	"fmt"
	"strconv"
	"time"
)

// BuildSecondsLabel records, on every image devcache pushes to the cache,
// how long its build took. A hit reports it as the time it saved.
const BuildSecondsLabel = "dev.devcache.build-seconds"

// FormatSaving renders a saved build time the way the hit line shows it:
// "~3m45s", "~42s", "~1h2m3s"; sub-second remainders are rounded.
func FormatSaving(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return "~0s"
	}
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h > 0:
		return fmt.Sprintf("~%dh%dm%ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("~%dm%ds", m, s)
	default:
		return fmt.Sprintf("~%ds", s)
	}
}

// HitMessage is the log line of a cache hit.
func HitMessage(saved time.Duration) string {
	return fmt.Sprintf("Using pre-built dev container (saved %s build time)", FormatSaving(saved))
}

// buildSeconds reads BuildSecondsLabel; ok is false when it is absent or malformed.
func buildSeconds(labels map[string]string) (time.Duration, bool) {
	v, ok := labels[BuildSecondsLabel]
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}
