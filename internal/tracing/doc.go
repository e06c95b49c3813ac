// Package tracing gives every devcache binary its OpenTelemetry traces: Setup
// installs a tracer provider that exports where the standard
// OTEL_EXPORTER_OTLP_* variables say (read as buildkitd and buildx read
// them), and installs nothing when they are unset, so an unconfigured
// process pays for no SDK, no exporter and no instrumentation. Start and End
// make the spans; Handler, Transport and BuildKitOpts instrument the HTTP
// edges and the BuildKit client (whose gRPC calls carry the trace context,
// so buildkitd's spans join the same trace) only when tracing is on.
package tracing
