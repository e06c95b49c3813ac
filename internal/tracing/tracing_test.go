package tracing

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func install(t *testing.T) *tracetest.InMemoryExporter {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(Install(tp))
	return exp
}

// With no OTEL_* variable set, Setup installs nothing.
func TestSetupWithoutExporterInstallsNothing(t *testing.T) {
	for _, v := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_EXPORTER"} {
		t.Setenv(v, "")
	}
	shutdown, err := Setup(context.Background(), "test")
	require.NoError(t, err)
	require.NoError(t, shutdown(context.Background()))
	require.False(t, Enabled())
	h := http.FileServer(http.Dir("."))
	require.Same(t, h, Handler(h, "x"), "no instrumentation when off")
	require.Nil(t, BuildKitOpts())
}

// Spans nest under their parent; an error is the span's status; a request
// through Transport joins the trace of the server behind Handler.
func TestSpansAndPropagation(t *testing.T) {
	exp := install(t)
	ctx, root := Start(context.Background(), "devcache build")
	_, child := Start(ctx, "key")
	End(child, errors.New("no such Feature"))

	var serverParent trace.SpanContext
	srv := httptest.NewServer(Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serverParent = trace.SpanContextFromContext(r.Context())
	}), "registry"))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v2/", nil)
	resp, err := (&http.Client{Transport: Transport(http.DefaultTransport)}).Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	End(root, nil)

	spans := exp.GetSpans()
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	require.Contains(t, byName, "devcache build")
	require.Contains(t, byName, "key")
	require.Contains(t, byName, "GET registry")
	rootID := byName["devcache build"].SpanContext
	require.Equal(t, rootID.SpanID(), byName["key"].Parent.SpanID())
	require.Equal(t, codes.Error, byName["key"].Status.Code)
	require.Equal(t, rootID.TraceID(), byName["GET registry"].SpanContext.TraceID(), "the server span joins the caller's trace")
	require.Equal(t, rootID.TraceID(), serverParent.TraceID())
	require.Len(t, BuildKitOpts(), 1)
}
