//go:build linux

package runner

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/devcache/devcache/internal/tracing"
	"github.com/devcache/devcache/prebuild/phase"
)

// A prebuild is a span with one child per phase; the failed phase and the
// job carry the error.
func TestPhaseSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	t.Cleanup(tracing.Install(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))))
	var ps phaseSpans
	ctx := ps.start(context.Background(), "pb1", "p")
	ps.enter(ctx, phase.Starting)
	ps.enter(ctx, phase.Running)
	ps.end(errors.New("postCreateCommand failed"))

	spans := exp.GetSpans()
	require.Len(t, spans, 3)
	job := spans[2]
	require.Equal(t, "prebuild", job.Name)
	require.Equal(t, codes.Error, job.Status.Code)
	require.Equal(t, "prebuild "+string(phase.Starting), spans[0].Name)
	require.Equal(t, "prebuild "+string(phase.Running), spans[1].Name)
	require.Equal(t, codes.Error, spans[1].Status.Code)
	for _, s := range spans[:2] {
		require.Equal(t, job.SpanContext.SpanID(), s.Parent.SpanID())
	}
}
