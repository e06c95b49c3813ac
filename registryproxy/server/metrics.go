package server

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the proxy's Prometheus metrics.
type Metrics struct {
	Requests     *prometheus.CounterVec
	Duration     *prometheus.HistogramVec
	TokensIssued prometheus.Counter
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "devcache_proxy", Name: "requests_total", Help: "Requests by route, method and status.",
		}, []string{"route", "method", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "devcache_proxy", Name: "request_duration_seconds", Help: "Time to answer a request (body included).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .05, .1, .5, 1, 5, 30, 120},
		}, []string{"route", "method"}),
		TokensIssued: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "devcache_proxy", Name: "tokens_issued_total", Help: "Access tokens issued by /token.",
		}),
	}
	reg.MustRegister(m.Requests, m.Duration, m.TokensIssued)
	return m
}

func (m *Metrics) observe(route, method string, code int, d time.Duration) {
	switch method {
	case "GET", "HEAD", "PUT", "POST", "PATCH", "DELETE":
	default:
		method = "other"
	}
	m.Requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.Duration.WithLabelValues(route, method).Observe(d.Seconds())
}
