// Package metrics holds what devcache's binaries share about Prometheus
// metrics: a registry with the Go and process collectors, the /metrics
// handler, the duration buckets, and the node_exporter textfile writer
// the runner uses (textfile.go).
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// LatencyBuckets (seconds) suit requests and fetches: 0.5 ms to 2 minutes.
var LatencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 120}

// JobBuckets (seconds) suit builds and pulls: 1 s to 1 hour.
var JobBuckets = []float64{1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600}

// NewRegistry returns a registry holding the Go and process collectors,
// for a long-running daemon's /metrics.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves g in the Prometheus exposition formats.
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}
