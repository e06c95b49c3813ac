package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/metrics"
)

// Denial reasons (the reason label of PolicyDenials): a bounded set.
const (
	DenyNoToken           = "no_token"           // a registry request without a bearer token (the challenge)
	DenyInvalidToken      = "invalid_token"      // a bearer token that does not verify
	DenyInsufficientScope = "insufficient_scope" // another project, a name outside the cache, push with a pull token
	DenyInvalidCredential = "invalid_credential" // /token with a credential that does not verify
	DenyDelete            = "delete_refused"     // DELETE of content (deletes are refused by policy)
	DenyCacheDisabled     = "cache_disabled"     // cache.enabled = false
	DenyMount             = "mount_refused"      // cross-repository mount outside the project (a plain upload starts)
)

var denyReasons = []string{DenyNoToken, DenyInvalidToken, DenyInsufficientScope, DenyInvalidCredential, DenyDelete, DenyCacheDisabled, DenyMount}

// Metrics are the proxy's Prometheus metrics (docs/proxy.md lists them).
// Every label has a bounded set of values: no repository, tag or digest.
type Metrics struct {
	Requests          *prometheus.CounterVec
	Duration          *prometheus.HistogramVec
	InFlight          prometheus.Gauge
	Backend           *prometheus.HistogramVec
	TokensIssued      *prometheus.CounterVec
	CredentialsIssued *prometheus.CounterVec
	PolicyDenials     *prometheus.CounterVec
	ImmutableRefusals prometheus.Counter
	GCRuns            prometheus.Counter
	GCErrors          prometheus.Counter
	GCDeleted         prometheus.Counter
	GCLastSuccess     prometheus.Gauge
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	const ns = "devcache_proxy"
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "requests_total", Help: "Requests by route, method and status.",
		}, []string{"route", "method", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "request_duration_seconds", Help: "Time to answer a request (body included).",
			Buckets: metrics.LatencyBuckets,
		}, []string{"route", "method"}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Name: "requests_in_flight", Help: "Registry and token requests being served.",
		}),
		Backend: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "backend_request_duration_seconds",
			Help:    "Time until the backing registry's response headers, by operation, method and status (code \"error\": no response).",
			Buckets: metrics.LatencyBuckets,
		}, []string{"operation", "method", "code"}),
		TokensIssued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "tokens_issued_total", Help: "Access tokens issued by /token, by the credential's purpose.",
		}, []string{"purpose"}),
		CredentialsIssued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "credentials_issued_total", Help: "Runner credentials issued by the admin endpoint, by purpose.",
		}, []string{"purpose"}),
		PolicyDenials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "policy_denials_total", Help: "Requests refused or narrowed by policy, by reason.",
		}, []string{"reason"}),
		ImmutableRefusals: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "immutable_tag_refusals_total", Help: "Manifest PUTs refused because the tag holds another live digest.",
		}),
		GCRuns: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "gc_runs_total", Help: "Expiry sweeps run by serve (cache.gc_interval).",
		}),
		GCErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "gc_errors_total", Help: "Expiry sweeps that failed.",
		}),
		GCDeleted: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "gc_deleted_total", Help: "Expired images deleted by sweeps.",
		}),
		GCLastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Name: "gc_last_success_timestamp_seconds", Help: "Unix time of the last sweep that succeeded.",
		}),
	}
	reg.MustRegister(m.Requests, m.Duration, m.InFlight, m.Backend, m.TokensIssued, m.CredentialsIssued,
		m.PolicyDenials, m.ImmutableRefusals, m.GCRuns, m.GCErrors, m.GCDeleted, m.GCLastSuccess)
	// Known label values start at 0, so a rate() sees the first event.
	for _, p := range []contract.Purpose{contract.PurposeCreate, contract.PurposeRebuild, contract.PurposeRefresh} {
		m.TokensIssued.WithLabelValues(string(p))
		m.CredentialsIssued.WithLabelValues(string(p))
	}
	for _, r := range denyReasons {
		m.PolicyDenials.WithLabelValues(r)
	}
	return m
}

func (m *Metrics) observe(route, method string, code int, d time.Duration) {
	method = boundedMethod(method)
	m.Requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.Duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// deny counts a policy denial; m may be nil.
func (m *Metrics) deny(reason string) {
	if m != nil {
		m.PolicyDenials.WithLabelValues(reason).Inc()
	}
}

// ObserveBackend records one backend round trip (code 0: no response).
func (m *Metrics) ObserveBackend(r *http.Request, code int, d time.Duration) {
	c := "error"
	if code > 0 {
		c = strconv.Itoa(code)
	}
	m.Backend.WithLabelValues(BackendOperation(r.URL.Path), boundedMethod(r.Method), c).Observe(d.Seconds())
}

// BackendOperation names what a backend path addresses, from its last
// segments only (repository names never become labels): ping, catalog,
// manifest, blob, upload, tags, referrers or other.
func BackendOperation(path string) string {
	if path == "/v2/" || path == "/v2" {
		return "ping"
	}
	if path == "/v2/_catalog" {
		return "catalog"
	}
	seg := strings.Split(strings.TrimSuffix(path, "/"), "/")
	n := len(seg)
	at := func(i int) string {
		if n-i >= 0 {
			return seg[n-i]
		}
		return ""
	}
	switch {
	case at(1) == "uploads" && at(2) == "blobs", at(2) == "uploads" && at(3) == "blobs":
		return "upload"
	case at(2) == "manifests":
		return "manifest"
	case at(2) == "blobs":
		return "blob"
	case at(1) == "list" && at(2) == "tags":
		return "tags"
	case at(2) == "referrers":
		return "referrers"
	}
	return "other"
}

func boundedMethod(m string) string {
	switch m {
	case "GET", "HEAD", "PUT", "POST", "PATCH", "DELETE":
		return m
	}
	return "other"
}
