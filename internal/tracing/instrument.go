package tracing

import (
	"net/http"

	bkclient "github.com/moby/buildkit/client"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
)

// Handler wraps h so each request is a server span (a child of the caller's
// trace when it sent a traceparent header) named "<method> <name>"; the
// handler may rename it once it knows the route. With tracing off it
// returns h itself.
func Handler(h http.Handler, name string) http.Handler {
	if !Enabled() {
		return h
	}
	return otelhttp.NewHandler(h, name, otelhttp.WithSpanNameFormatter(func(operation string, r *http.Request) string {
		return r.Method + " " + operation
	}))
}

// Transport wraps rt so each request is a client span and carries the trace
// context to the server. With tracing off it returns rt itself.
func Transport(rt http.RoundTripper) http.RoundTripper {
	if !Enabled() {
		return rt
	}
	return otelhttp.NewTransport(rt)
}

// BuildKitOpts are the BuildKit client options that make its gRPC calls
// client spans carrying the trace context to buildkitd (as buildctl and
// buildx do), so the solve's spans join the caller's trace. With tracing
// off there are none: the client installs no interceptor.
func BuildKitOpts() []bkclient.ClientOpt {
	if !Enabled() {
		return nil
	}
	return []bkclient.ClientOpt{bkclient.WithTracerProvider(otel.GetTracerProvider())}
}
