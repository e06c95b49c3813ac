package tracing

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/moby/buildkit/util/tracing/detect"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// enabled is set once a tracer provider is installed.
var enabled atomic.Bool

// Enabled reports whether spans are recorded and exported.
func Enabled() bool { return enabled.Load() }

// Setup installs the tracer provider of the process named service when the
// environment names an exporter: OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (OTLP over gRPC unless
// OTEL_EXPORTER_OTLP_PROTOCOL is http/protobuf), or OTEL_TRACES_EXPORTER=otlp;
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES describe the process. With
// none of them set it installs nothing. shutdown flushes the spans still
// buffered; call it before the process exits.
func Setup(ctx context.Context, service string) (shutdown func(context.Context) error, err error) {
	exp, err := detect.NewSpanExporter(ctx)
	if err != nil {
		return noShutdown, fmt.Errorf("OpenTelemetry trace exporter: %w", err)
	}
	if exp == nil || detect.IsNoneSpanExporter(exp) {
		return noShutdown, nil
	}
	detect.ServiceName = service
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(detect.Resource()))
	Install(tp)
	return tp.Shutdown, nil
}

func noShutdown(context.Context) error { return nil }

// Install makes tp the process's tracer provider, with the W3C trace
// context and baggage propagators, and turns the instrumentation on. Tests
// install a provider over an in-memory exporter; restore puts back what was
// there.
func Install(tp trace.TracerProvider) (restore func()) {
	prevTP, prevProp, prevOn := otel.GetTracerProvider(), otel.GetTextMapPropagator(), enabled.Load()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagator())
	enabled.Store(true)
	return func() {
		if prevOn {
			otel.SetTracerProvider(prevTP)
		} else {
			otel.SetTracerProvider(noop.NewTracerProvider())
		}
		otel.SetTextMapPropagator(prevProp)
		enabled.Store(prevOn)
	}
}

func propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}
