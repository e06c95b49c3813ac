//go:build linux

package runner

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/devcache/devcache/internal/tracing"
	"github.com/devcache/devcache/prebuild/phase"
)

// phaseSpans makes a prebuild's spans: one for the job, one child per
// phase it goes through (docs/tracing.md).
type phaseSpans struct {
	job, cur trace.Span
}

// start starts the job's span; ctx carries it.
func (ps *phaseSpans) start(ctx context.Context, id, project string) context.Context {
	ctx, ps.job = tracing.Start(ctx, "prebuild", attribute.String("devcache.prebuild.id", id), attribute.String("devcache.project", project))
	return ctx
}

// enter ends the current phase's span and starts p's; work (a context of
// the phase's work) is returned carrying it.
func (ps *phaseSpans) enter(work context.Context, p phase.Phase) context.Context {
	if ps.cur != nil {
		ps.cur.End()
	}
	ctx := trace.ContextWithSpan(work, ps.job)
	ctx, ps.cur = tracing.Start(ctx, "prebuild "+string(p), attribute.String("devcache.phase", string(p)))
	return ctx
}

// end ends the phase's and the job's spans with the job's error.
func (ps *phaseSpans) end(err error) {
	if ps.cur != nil {
		tracing.End(ps.cur, err)
	}
	tracing.End(ps.job, err)
}
