package imagecache

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/devcache/devcache/internal/tracing"
)

// Each phase of a Get is a span, a child of the caller's span: a miss is
// credentials, key, lookup, build; a hit is credentials, key, lookup, pull.
func TestPhasesAreSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	t.Cleanup(tracing.Install(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))))

	for _, tc := range []struct {
		name   string
		hit    bool
		phases []string
	}{
		{"miss", false, []string{PhaseCredentials, PhaseKey, PhaseLookup, PhaseBuild}},
		{"hit", true, []string{PhaseCredentials, PhaseKey, PhaseLookup, PhasePull}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp.Reset()
			c, _, reg, _, _ := newCache()
			if tc.hit {
				reg.images[cacheRef(t)] = &CachedImage{Ref: cacheRef(t), Digest: "sha256:cached"}
			}
			ctx, root := tracing.Start(context.Background(), "devcache build")
			_, err := c.Get(ctx, newWorkspace(t))
			require.NoError(t, err)
			root.End()
			var names []string
			for _, s := range exp.GetSpans() {
				if s.Name == "devcache build" {
					continue
				}
				names = append(names, s.Name)
				require.Equal(t, root.SpanContext().SpanID(), s.Parent.SpanID(), "%s is a child of the command's span", s.Name)
				require.Equal(t, root.SpanContext().TraceID(), s.SpanContext.TraceID())
			}
			require.Equal(t, tc.phases, names)
		})
	}
}
