package phase

import (
	"fmt"
	"slices"

	"github.com/containerd/errdefs"
)

// Phase is where a prebuild is in its life.
type Phase string

// The phases, in the order a successful prebuild goes through them.
const (
	Pending      Phase = "Pending"
	Starting     Phase = "Starting"
	Running      Phase = "Running"
	Stopping     Phase = "Stopping"
	Snapshotting Phase = "Snapshotting"
	Completed    Phase = "Completed"
	Failed       Phase = "Failed"
)

// order is the successful path; Failed can follow any phase before Completed.
var order = []Phase{Pending, Starting, Running, Stopping, Snapshotting, Completed}

// Final reports whether nothing can follow p.
func (p Phase) Final() bool { return p == Completed || p == Failed }

// Valid reports whether p is a known phase.
func (p Phase) Valid() bool { return p == Failed || slices.Contains(order, p) }

// CanTransition reports whether to may follow from.
func CanTransition(from, to Phase) error {
	if !from.Valid() || !to.Valid() {
		return fmt.Errorf("unknown phase %q → %q: %w", from, to, errdefs.ErrInvalidArgument)
	}
	if from.Final() {
		return fmt.Errorf("prebuild is %s, cannot go to %s: %w", from, to, errdefs.ErrFailedPrecondition)
	}
	if to == Failed {
		return nil
	}
	if slices.Index(order, to) != slices.Index(order, from)+1 {
		return fmt.Errorf("cannot go from %s to %s: %w", from, to, errdefs.ErrFailedPrecondition)
	}
	return nil
}
