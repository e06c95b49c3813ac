package imagecache

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/devcache/devcache/internal/tracing"
)

// Outcome says how a Get ended.
type Outcome string

const (
	// OutcomeHit means the cached image was used.
	OutcomeHit Outcome = "hit"
	// OutcomeMiss means the image was built (and pushed when allowed).
	OutcomeMiss Outcome = "miss"
	// OutcomeBypass means the cache was not consulted (disabled, no
	// project, or an input could not be resolved) and the image was built.
	OutcomeBypass Outcome = "bypass"
	// OutcomeError means Get failed: Message, Phase, Position and ExitCode
	// say where and why.
	OutcomeError Outcome = "error"
)

// Result is what a Get reports; `devcache build --output json` prints it.
type Result struct {
	Key     string  `json:"key,omitempty"`
	Outcome Outcome `json:"outcome"`
	// Image is the reference the runner uses; Digest its manifest digest.
	Image  string `json:"image,omitempty"`
	Digest string `json:"digest,omitempty"`
	// Pushed reports a push to the cache.
	Pushed bool `json:"pushed"`
	// SavedSeconds is the recorded build time of a hit.
	SavedSeconds float64 `json:"saved_seconds,omitempty"`
	// BuildSeconds is the duration of a build that ran.
	BuildSeconds float64 `json:"build_seconds,omitempty"`
	// CacheFrom are the earlier images of the project whose build cache a
	// miss imported.
	CacheFrom []CacheSource `json:"cache_from,omitempty"`
	// StepsRun and StepsReused count the build's steps that ran and that
	// were reused from a cache.
	StepsRun    int `json:"steps_run,omitempty"`
	StepsReused int `json:"steps_reused,omitempty"`
	// Pull says how a hit was made available: lazily (started from the
	// registry, fetched in the background) or in full, layer by layer.
	Pull *PullInfo `json:"pull,omitempty"`
	// Waited reports that another runner held the key's build lease and
	// this one waited for its image (or, past OneBuild.Wait, built itself).
	Waited bool `json:"waited_for_builder,omitempty"`
	// Renewals counts the proxy credentials renewed during the Get
	// (long builds, waits and pulls outlast one).
	Renewals int `json:"credential_renewals,omitempty"`
	// Reason explains a bypass or a build that was not pushed.
	Reason string `json:"reason,omitempty"`
	// ReasonCode is Reason's fixed code (reasons.go), for scripts and
	// metrics.
	ReasonCode ReasonCode `json:"reason_code,omitempty"`
	// Warnings are the problems that did not stop the environment.
	Warnings []string `json:"warnings,omitempty"`
	// Message, Phase, Position and ExitCode describe a failure (outcome
	// "error"): the error, the phase it failed in, its place in the
	// configuration when it has one, and the process's exit status.
	Message  string    `json:"message,omitempty"`
	Phase    string    `json:"phase,omitempty"`
	Position *Position `json:"position,omitempty"`
	ExitCode int       `json:"exit_code,omitempty"`
	// Phases are wall-clock seconds per phase: key, credentials, lookup,
	// build, pull.
	Phases map[string]float64 `json:"phases"`
}

func (r *Result) phase(name string, start time.Time) {
	if r.Phases == nil {
		r.Phases = map[string]float64{}
	}
	r.Phases[name] += time.Since(start).Seconds()
}

// begin starts phase name: a span (a child of ctx's) and its wall-clock
// time in Phases, both ended by end with the phase's error.
func (r *Result) begin(ctx context.Context, name string) (context.Context, func(error)) {
	start := time.Now()
	ctx, span := tracing.Start(ctx, name, attribute.String("devcache.phase", name))
	return ctx, func(err error) {
		r.phase(name, start)
		tracing.End(span, err)
	}
}
