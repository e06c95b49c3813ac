package imagecache

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/devcache/devcache/internal/metrics"
)

// errorPhases are the phases a Get can fail in: the reason label of
// outcome "error".
var errorPhases = []string{PhaseConfig, PhaseCredentials, PhaseKey, PhaseLookup, PhaseBuild, PhaseImport, PhasePull}

// ResultMetrics returns one run's Prometheus series, for `devcache build
// --metrics-file` (metrics.AddToTextfile adds them up across runs):
//
//	devcache_build_outcomes_total{outcome,reason}   reason: a ReasonCode for bypass and an unpushed miss, the phase for error, "" otherwise
//	devcache_build_saved_seconds_total              the build time hits saved (recorded on the image)
//	devcache_build_duration_seconds                 builds that ran (histogram)
//	devcache_build_pull_duration_seconds            pulls of hits (histogram)
//	devcache_build_last_run_timestamp_seconds       when the last run ended
//
// Every known (outcome, reason) pair is present, at 0 when it did not
// happen, so rate() sees a series from its first increment.
func ResultMetrics(res *Result, now time.Time) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	outcomes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "devcache_build_outcomes_total",
		Help: "devcache build runs by outcome (hit, miss, bypass, error) and reason (bypass reason, why a miss was not pushed, or the phase an error failed in).",
	}, []string{"outcome", "reason"})
	saved := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "devcache_build_saved_seconds_total",
		Help: "Build time saved by cache hits: the build time recorded on each image used.",
	})
	build := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "devcache_build_duration_seconds", Help: "Duration of the builds devcache build ran (misses and bypasses).", Buckets: metrics.JobBuckets,
	})
	pull := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "devcache_build_pull_duration_seconds", Help: "Duration of the pulls of cache hits into containerd.", Buckets: metrics.JobBuckets,
	})
	last := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "devcache_build_last_run_timestamp_seconds", Help: "Unix time the last devcache build run ended.",
	})
	reg.MustRegister(outcomes, saved, build, pull, last)

	outcomes.WithLabelValues(string(OutcomeHit), "")
	outcomes.WithLabelValues(string(OutcomeMiss), "")
	for _, r := range NotPushedReasons {
		outcomes.WithLabelValues(string(OutcomeMiss), string(r))
	}
	for _, r := range BypassReasons {
		outcomes.WithLabelValues(string(OutcomeBypass), string(r))
	}
	for _, p := range errorPhases {
		outcomes.WithLabelValues(string(OutcomeError), p)
	}

	reason := string(res.ReasonCode)
	if res.Outcome == OutcomeError {
		reason = res.Phase
	}
	if res.Outcome != "" {
		outcomes.WithLabelValues(string(res.Outcome), reason).Inc()
	}
	saved.Add(res.SavedSeconds)
	if _, ok := res.Phases[PhaseBuild]; ok && res.BuildSeconds > 0 {
		build.Observe(res.BuildSeconds)
	}
	if s, ok := res.Phases[PhasePull]; ok && res.Outcome == OutcomeHit {
		pull.Observe(s)
	}
	last.Set(float64(now.UnixNano()) / 1e9)
	return reg
}
