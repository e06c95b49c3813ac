package imagecache_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content/proxy"
	controlapi "github.com/moby/buildkit/api/services/control"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/tracing"
)

// solveSpan is the server span buildkitd makes for a Solve call.
const solveSpan = "moby.buildkit.v1.Control/Solve"

// TestBuildKitSolveJoinsTheTrace: a build's Solve call carries the trace
// context, so the solve span buildkitd records (its build history keeps
// every build's spans, as `buildx history trace` reads them) has our trace
// ID and our client span as its parent.
func TestBuildKitSolveJoinsTheTrace(t *testing.T) {
	s := testenv.Get(t)
	exp := tracetest.NewInMemoryExporter()
	t.Cleanup(tracing.Install(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))))
	ctx := t.Context()

	bk, err := bkclient.New(ctx, s.BuildkitHost, tracing.BuildKitOpts()...)
	require.NoError(t, err)
	defer bk.Close()
	dir := t.TempDir()
	cfgDir := filepath.Join(dir, ".devcontainer")
	require.NoError(t, os.MkdirAll(cfgDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(cfgDir, "devcontainer.json"),
		[]byte(`{"image": "`+s.BusyboxImage()+`", "containerEnv": {"TRACE_TEST": "`+time.Now().Format(time.RFC3339Nano)+`"}}`), 0o644))

	rctx, root := tracing.Start(ctx, "devcache build")
	b := &imagecache.BuildKit{Client: bk, Progress: progressui.QuietMode}
	_, err = b.Build(rctx, imagecache.BuildRequest{ContextDir: dir, ConfigDir: cfgDir, ConfigFile: "devcontainer.json"})
	root.End()
	require.NoError(t, err)

	var client tracetest.SpanStub
	for _, sp := range exp.GetSpans() {
		if sp.Name == solveSpan {
			client = sp
		}
	}
	require.Equal(t, root.SpanContext().TraceID(), client.SpanContext.TraceID(), "our client span of the Solve call")

	// buildkitd saves a build's trace a few seconds after it completes.
	var found *recordedSpan
	require.Eventually(t, func() bool {
		found = findSolveSpan(t, ctx, bk, root.SpanContext().TraceID())
		return found != nil
	}, 30*time.Second, time.Second, "no build record of buildkitd holds a solve span of trace %s", root.SpanContext().TraceID())
	require.Equal(t, client.SpanContext.SpanID().String(), found.Parent.SpanID, "buildkitd's solve span is a child of our client span")
}

type recordedSpan struct {
	Name        string
	SpanContext struct{ TraceID, SpanID string }
	Parent      struct{ TraceID, SpanID string }
}

// findSolveSpan reads buildkitd's build history and returns the solve span
// of trace id, if a record's saved trace has one.
func findSolveSpan(t *testing.T, ctx context.Context, bk *bkclient.Client, id trace.TraceID) *recordedSpan {
	stream, err := bk.ControlClient().ListenBuildHistory(ctx, &controlapi.BuildHistoryRequest{EarlyExit: true})
	require.NoError(t, err)
	store := proxy.NewContentStore(bk.ContentClient())
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		require.NoError(t, err)
		if ev.Record == nil || ev.Record.Trace == nil {
			continue
		}
		ra, err := store.ReaderAt(ctx, ocispecs.Descriptor{Digest: digest.Digest(ev.Record.Trace.Digest), Size: ev.Record.Trace.Size, MediaType: ev.Record.Trace.MediaType})
		if err != nil {
			continue
		}
		dec := json.NewDecoder(bufio.NewReader(io.NewSectionReader(ra, 0, ra.Size())))
		for {
			var sp recordedSpan
			if err := dec.Decode(&sp); err != nil {
				break
			}
			if sp.Name == solveSpan && sp.SpanContext.TraceID == id.String() {
				_ = ra.Close()
				return &sp
			}
		}
		_ = ra.Close()
	}
}
