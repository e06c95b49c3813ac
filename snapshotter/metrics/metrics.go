package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	devmetrics "github.com/devcache/devcache/internal/metrics"
	"github.com/devcache/devcache/snapshotter"
)

// The restore modes of devcache_snapshotter_restores_total: a layer
// mounted lazily, restored fully, or a restore that failed (containerd
// then applies the layer itself).
const (
	ModeLazy   = snapshotter.RemoteLazy
	ModeFull   = snapshotter.RemoteFull
	ModeFailed = "failed"
)

// The results of devcache_snapshotter_prefetch_lists_total.
const (
	PrefetchFound       = "found"
	PrefetchUnavailable = "unavailable"
)

// Metrics are the snapshotter's own series. A nil *Metrics records nothing.
type Metrics struct {
	restores        *prometheus.CounterVec
	restoreSeconds  *prometheus.HistogramVec
	prefetchLists   *prometheus.CounterVec
	prefetchFiles   prometheus.Counter
	prefetchBytes   prometheus.Counter
	prefetchSeconds prometheus.Histogram
}

// New registers the snapshotter's series on reg; every label value starts
// at 0.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		restores: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "devcache_snapshotter_restores_total",
			Help: "Remote layers restored, by mode: lazy (mounted from the registry), full (downloaded and extracted), failed (containerd applied the layer).",
		}, []string{"mode"}),
		restoreSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "devcache_snapshotter_restore_duration_seconds",
			Help:    "Time a layer's restore took before the snapshot could be committed, by mode.",
			Buckets: devmetrics.LatencyBuckets,
		}, []string{"mode"}),
		prefetchLists: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "devcache_snapshotter_prefetch_lists_total",
			Help: "Prefetch lists looked up for lazily mounted layers, by result: found (its files were fetched ahead) or unavailable (the layer is fetched on demand).",
		}, []string{"result"}),
		prefetchFiles: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "devcache_snapshotter_prefetch_files_total",
			Help: "Files of prefetch lists fetched ahead of the environment's first read.",
		}),
		prefetchBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "devcache_snapshotter_prefetch_bytes_total",
			Help: "Bytes of the files fetched ahead by prefetch lists.",
		}),
		prefetchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "devcache_snapshotter_prefetch_duration_seconds",
			Help:    "Time a layer's prefetch took, from the mount to the last listed file read.",
			Buckets: devmetrics.LatencyBuckets,
		}),
	}
	reg.MustRegister(m.restores, m.restoreSeconds, m.prefetchLists, m.prefetchFiles, m.prefetchBytes, m.prefetchSeconds)
	for _, mode := range []string{ModeLazy, ModeFull, ModeFailed} {
		m.restores.WithLabelValues(mode)
		m.restoreSeconds.WithLabelValues(mode)
	}
	for _, r := range []string{PrefetchFound, PrefetchUnavailable} {
		m.prefetchLists.WithLabelValues(r)
	}
	return m
}

// Restored counts one restore of mode that took seconds.
func (m *Metrics) Restored(mode string, seconds float64) {
	if m == nil {
		return
	}
	m.restores.WithLabelValues(mode).Inc()
	m.restoreSeconds.WithLabelValues(mode).Observe(seconds)
}

// Prefetched counts one layer's prefetch: whether its list was found, the
// files and bytes it fetched ahead, and how long that took.
func (m *Metrics) Prefetched(found bool, files, bytes int64, seconds float64) {
	if m == nil {
		return
	}
	if !found {
		m.prefetchLists.WithLabelValues(PrefetchUnavailable).Inc()
		return
	}
	m.prefetchLists.WithLabelValues(PrefetchFound).Inc()
	m.prefetchFiles.Add(float64(files))
	m.prefetchBytes.Add(float64(bytes))
	m.prefetchSeconds.Observe(seconds)
}
