package phase

import (
	"time"
)

// Transition is one entry of a prebuild's history.
type Transition struct {
	Phase Phase     `json:"phase"`
	At    time.Time `json:"at"`
}

// StepLog is the output of one step (a lifecycle command, a task).
type StepLog struct {
	Step     string  `json:"step"`
	Output   string  `json:"output"`
	ExitCode int     `json:"exitCode"`
	Seconds  float64 `json:"seconds"`
	Error    string  `json:"error,omitempty"`
}

// Record is a prebuild's phase history.
type Record struct {
	ID          string       `json:"id"`
	Project     string       `json:"project"`
	Phase       Phase        `json:"phase"`
	Transitions []Transition `json:"transitions"`
	// Reason says why it failed.
	Reason string `json:"reason,omitempty"`
	// Steps are the logs of the steps that ran, in order; on failure the
	// last one is the step that failed.
	Steps []StepLog `json:"steps,omitempty"`
}

// Durations returns how long each phase lasted (a phase still running is
// measured up to now).
func (r *Record) Durations(now time.Time) map[Phase]time.Duration {
	out := map[Phase]time.Duration{}
	for i, t := range r.Transitions {
		end := now
		if i+1 < len(r.Transitions) {
			end = r.Transitions[i+1].At
		} else if t.Phase.Final() {
			continue
		}
		out[t.Phase] += end.Sub(t.At)
	}
	return out
}
