package metrics

import (
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// stargzLabels are the labels stargz-snapshotter puts on its series: the
// layer digest ("layer" on the operation series, "digest" and
// "mountpoint" on the per-layer sizes), one series per layer mounted.
var stargzLabels = []string{"layer", "digest", "mountpoint"}

// StargzGatherer gathers stargz-snapshotter's filesystem series (the
// stargz_fs_* families it registers on g, prometheus.DefaultGatherer) with
// the layer labels summed away, so their cardinality is the operation
// types', not the layers'. Among them: stargz_fs_bytes_served{operation_type=
// "on_demand_bytes_fetched"} (bytes fetched lazily from the registry),
// stargz_fs_operation_duration_milliseconds{operation_type=
// "remote_registry_get"} (the latency of those fetches) and
// {operation_type="mount"}, and stargz_fs_layer_fetched_size_bytes (bytes
// of the mounted layers fetched so far, prefetch and background included).
func StargzGatherer(g prometheus.Gatherer) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := g.Gather()
		var out []*dto.MetricFamily
		for _, mf := range mfs {
			if strings.HasPrefix(mf.GetName(), "stargz_") {
				out = append(out, withoutLabels(mf, stargzLabels))
			}
		}
		return out, err
	})
}

// withoutLabels sums mf's series that differ only in drop's labels.
func withoutLabels(mf *dto.MetricFamily, drop []string) *dto.MetricFamily {
	out := &dto.MetricFamily{Name: mf.Name, Help: mf.Help, Type: mf.Type, Unit: mf.Unit}
	index := map[string]*dto.Metric{}
	for _, m := range mf.GetMetric() {
		labels := slices.DeleteFunc(slices.Clone(m.GetLabel()), func(l *dto.LabelPair) bool { return slices.Contains(drop, l.GetName()) })
		var key strings.Builder
		for _, l := range labels {
			key.WriteString(l.GetName() + "=" + l.GetValue() + "\xff")
		}
		into, ok := index[key.String()]
		if !ok {
			into = &dto.Metric{Label: labels}
			index[key.String()] = into
			out.Metric = append(out.Metric, into)
		}
		add(into, m)
	}
	return out
}

func add(into, m *dto.Metric) {
	switch {
	case m.Counter != nil:
		if into.Counter == nil {
			into.Counter = &dto.Counter{Value: new(float64)}
		}
		*into.Counter.Value += m.Counter.GetValue()
	case m.Gauge != nil:
		if into.Gauge == nil {
			into.Gauge = &dto.Gauge{Value: new(float64)}
		}
		*into.Gauge.Value += m.Gauge.GetValue()
	case m.Untyped != nil:
		if into.Untyped == nil {
			into.Untyped = &dto.Untyped{Value: new(float64)}
		}
		*into.Untyped.Value += m.Untyped.GetValue()
	case m.Histogram != nil:
		h := m.Histogram
		if into.Histogram == nil {
			into.Histogram = &dto.Histogram{SampleCount: new(uint64), SampleSum: new(float64)}
			for _, b := range h.GetBucket() {
				into.Histogram.Bucket = append(into.Histogram.Bucket, &dto.Bucket{UpperBound: b.UpperBound, CumulativeCount: new(uint64)})
			}
		}
		*into.Histogram.SampleCount += h.GetSampleCount()
		*into.Histogram.SampleSum += h.GetSampleSum()
		for i, b := range h.GetBucket() {
			if i < len(into.Histogram.Bucket) {
				*into.Histogram.Bucket[i].CumulativeCount += b.GetCumulativeCount()
			}
		}
	}
}
