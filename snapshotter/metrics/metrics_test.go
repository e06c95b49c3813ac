package metrics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/devcache/devcache/snapshotter"
)

type fakeFS struct {
	snapshotter.RemoteFS
	err  error
	mode string
}

func (f *fakeFS) Mount(context.Context, string, map[string]string) error { return f.err }
func (f *fakeFS) Mode(string) (string, string)                           { return f.mode, "why" }

// Restores are counted by the mode the wrapped RemoteFS reports, which the
// snapshotter still reads once; layers it does not serve are not counted.
func TestInstrumentCountsRestoresByMode(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	ctx := context.Background()
	for _, f := range []*fakeFS{{mode: ModeLazy}, {mode: ModeFull}, {mode: ModeFull}, {err: errors.New("boom")}, {err: errdefs.ErrNotImplemented}} {
		r := Instrument(f, m)
		err := r.Mount(ctx, "/mp", nil)
		if f.err == nil {
			if mode, reason := r.Mode("/mp"); mode != f.mode || reason != "why" {
				t.Errorf("Mode = %s, %s", mode, reason)
			}
		} else if !errors.Is(err, f.err) {
			t.Errorf("err = %v", err)
		}
	}
	want := `
# HELP devcache_snapshotter_restores_total Remote layers restored, by mode: lazy (mounted from the registry), full (downloaded and extracted), failed (containerd applied the layer).
# TYPE devcache_snapshotter_restores_total counter
devcache_snapshotter_restores_total{mode="failed"} 1
devcache_snapshotter_restores_total{mode="full"} 2
devcache_snapshotter_restores_total{mode="lazy"} 1
`
	compare(t, reg, want, "devcache_snapshotter_restores_total")
	m.Prefetched(true, 3, 300, 0.5)
	m.Prefetched(false, 0, 0, 0)
	compare(t, reg, `
# HELP devcache_snapshotter_prefetch_files_total Files of prefetch lists fetched ahead of the environment's first read.
# TYPE devcache_snapshotter_prefetch_files_total counter
devcache_snapshotter_prefetch_files_total 3
`, "devcache_snapshotter_prefetch_files_total")
	var nilM *Metrics
	nilM.Restored(ModeLazy, 1) // a nil *Metrics records nothing
}

// stargz's series are summed over the layer label.
func TestStargzGathererDropsTheLayer(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stargz_fs_operation_count", Help: "x"}, []string{"operation_type", "layer"})
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "stargz_fs_operation_duration_milliseconds", Help: "x", Buckets: []float64{1, 10}}, []string{"operation_type", "layer"})
	other := prometheus.NewCounter(prometheus.CounterOpts{Name: "go_other_total", Help: "x"})
	reg.MustRegister(c, h, other)
	for i := range 3 {
		l := fmt.Sprintf("sha256:%d", i)
		c.WithLabelValues("on_demand_read_access_count", l).Add(2)
		h.WithLabelValues("mount", l).Observe(float64(i * 5))
	}
	want := `
# HELP stargz_fs_operation_count x
# TYPE stargz_fs_operation_count counter
stargz_fs_operation_count{operation_type="on_demand_read_access_count"} 6
# HELP stargz_fs_operation_duration_milliseconds x
# TYPE stargz_fs_operation_duration_milliseconds histogram
stargz_fs_operation_duration_milliseconds_bucket{operation_type="mount",le="1"} 1
stargz_fs_operation_duration_milliseconds_bucket{operation_type="mount",le="10"} 3
stargz_fs_operation_duration_milliseconds_bucket{operation_type="mount",le="+Inf"} 3
stargz_fs_operation_duration_milliseconds_sum{operation_type="mount"} 15
stargz_fs_operation_duration_milliseconds_count{operation_type="mount"} 3
`
	compare(t, StargzGatherer(reg), want)
}

// compare checks the text exposition of g's families named (all if none).
func compare(t *testing.T, g prometheus.Gatherer, want string, names ...string) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if len(names) == 0 || slices.Contains(names, mf.GetName()) {
			if err := enc.Encode(mf); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := b.String(); got != strings.TrimPrefix(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}
