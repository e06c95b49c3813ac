package prebuild

import (
	"context"
	"fmt"
	"time"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/prebuild/phase"
)

// Retention is how long a prebuild (successful or failed) is kept after its
// creation.
const Retention = 7 * 24 * time.Hour

// Timeouts of a prebuild.
const (
	DefaultExecutionTimeout = time.Hour
	MinExecutionTimeout     = 5 * time.Minute
	MaxExecutionTimeout     = 2 * time.Hour
	SnapshotTimeout         = time.Hour
	OverallTimeout          = 3 * time.Hour
)

// ExecutionTimeout validates a project's execution timeout: zero means the
// default; values outside [5m, 2h] are refused.
func ExecutionTimeout(d time.Duration) (time.Duration, error) {
	if d == 0 {
		return DefaultExecutionTimeout, nil
	}
	if d < MinExecutionTimeout || d > MaxExecutionTimeout {
		return 0, fmt.Errorf("execution timeout %s is outside %s..%s: %w", d, MinExecutionTimeout, MaxExecutionTimeout, errdefs.ErrInvalidArgument)
	}
	return d, nil
}

// Expired reports whether p is past retention at now.
func Expired(p Prebuild, now time.Time) bool {
	return !now.Before(p.Created.Add(Retention))
}

// Select returns the prebuild an environment of class starts from: the most
// recent Completed, unexpired prebuild of that class. ok is false when there
// is none (the environment starts normally).
func Select(list []Prebuild, class string, now time.Time) (best Prebuild, ok bool) {
	for _, p := range list {
		if p.Phase != phase.Completed || p.EnvironmentClass != class || Expired(p, now) {
			continue
		}
		if !ok || p.Created.After(best.Created) || (p.Created.Equal(best.Created) && p.ID > best.ID) {
			best, ok = p, true
		}
	}
	return best, ok
}

// Status is what `prebuild list` shows for a recorded prebuild.
type Status string

// The statuses of a recorded prebuild.
const (
	StatusActive     Status = "active"     // the one Select picks for its class
	StatusSuperseded Status = "superseded" // completed, but a newer one of the class is active
	StatusFailed     Status = "failed"     // kept for debugging, never selected
	StatusExpired    Status = "expired"    // past retention, to be deleted
	StatusIncomplete Status = "incomplete" // captured but not (yet) recorded: never selected
)

// Statuses computes each prebuild's status from the whole list: supersession
// is a property of the set, not a stored field, so every runner host agrees.
func Statuses(list []Prebuild, now time.Time) map[string]Status {
	out := make(map[string]Status, len(list))
	active := map[string]string{}
	for _, p := range list {
		if _, done := active[p.EnvironmentClass]; !done {
			if best, ok := Select(list, p.EnvironmentClass, now); ok {
				active[p.EnvironmentClass] = best.ID
			} else {
				active[p.EnvironmentClass] = ""
			}
		}
	}
	for _, p := range list {
		switch {
		case Expired(p, now):
			out[p.ID] = StatusExpired
		case p.Phase == phase.Failed:
			out[p.ID] = StatusFailed
		case p.Phase != phase.Completed:
			out[p.ID] = StatusIncomplete
		case active[p.EnvironmentClass] == p.ID:
			out[p.ID] = StatusActive
		default:
			out[p.ID] = StatusSuperseded
		}
	}
	return out
}

// Prune deletes the project's prebuilds that are past retention (failed ones
// included) and returns them.
func Prune(ctx context.Context, c Catalog, project string, now time.Time) ([]Prebuild, error) {
	list, err := c.List(ctx, project)
	if err != nil {
		return nil, err
	}
	var pruned []Prebuild
	for _, p := range list {
		if !Expired(p, now) {
			continue
		}
		if err := c.Delete(ctx, p); err != nil && !errdefs.IsNotFound(err) {
			return pruned, fmt.Errorf("deleting prebuild %s: %w", p.ID, err)
		}
		pruned = append(pruned, p)
	}
	return pruned, nil
}
