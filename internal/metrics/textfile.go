package metrics

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/sys/unix"
)

// AddToTextfile adds what g gathers to the node_exporter textfile-collector
// file at path: counters and histograms are added to the file's series of
// the same name and labels, gauges replace theirs, and series only the file
// has are kept. Runs of short-lived processes (one `devcache build` each)
// so accumulate into one file. Concurrent runs are serialised by an flock
// on path + ".lock"; the file is replaced atomically (a temporary file in
// the same directory, renamed), so the collector never reads half a file.
func AddToTextfile(path string, g prometheus.Gatherer) error {
	add, err := g.Gather()
	if err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("metrics file %s: locking: %w", path, err)
	}
	defer func() { _ = unix.Flock(int(lock.Fd()), unix.LOCK_UN) }()

	old, err := readTextfile(path)
	if err != nil {
		return err
	}
	for _, mf := range add {
		o := old[mf.GetName()]
		if o == nil || o.GetType() != mf.GetType() {
			old[mf.GetName()] = mf
			continue
		}
		mergeFamily(o, mf)
	}
	return writeTextfile(path, old)
}

func readTextfile(path string) (map[string]*dto.MetricFamily, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*dto.MetricFamily{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("metrics file %s: %w", path, err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(f)
	if err != nil {
		return nil, fmt.Errorf("metrics file %s: not in the text exposition format (remove it to start over): %w", path, err)
	}
	return mfs, nil
}

// mergeFamily adds add's series into into (both of one name and type).
func mergeFamily(into, add *dto.MetricFamily) {
	for _, m := range add.GetMetric() {
		i := slices.IndexFunc(into.Metric, func(o *dto.Metric) bool { return sameLabels(o, m) })
		if i < 0 {
			into.Metric = append(into.Metric, m)
			continue
		}
		o := into.Metric[i]
		switch add.GetType() {
		case dto.MetricType_COUNTER:
			o.Counter.Value = ptr(o.GetCounter().GetValue() + m.GetCounter().GetValue())
		case dto.MetricType_HISTOGRAM:
			if !addHistogram(o.GetHistogram(), m.GetHistogram()) {
				into.Metric[i] = m // the buckets changed: start over
			}
		default: // gauges and untyped: the last run's value
			into.Metric[i] = m
		}
	}
}

func addHistogram(into, add *dto.Histogram) bool {
	// A parsed file lists the +Inf bucket, a gathered histogram leaves it
	// implicit (the sample count).
	for _, h := range []*dto.Histogram{into, add} {
		if h != nil {
			h.Bucket = slices.DeleteFunc(h.Bucket, func(b *dto.Bucket) bool { return math.IsInf(b.GetUpperBound(), +1) })
		}
	}
	if into == nil || len(into.Bucket) != len(add.Bucket) {
		return false
	}
	for i, b := range add.Bucket {
		if into.Bucket[i].GetUpperBound() != b.GetUpperBound() {
			return false
		}
	}
	for i, b := range add.Bucket {
		into.Bucket[i].CumulativeCount = ptr(into.Bucket[i].GetCumulativeCount() + b.GetCumulativeCount())
	}
	into.SampleCount = ptr(into.GetSampleCount() + add.GetSampleCount())
	into.SampleSum = ptr(into.GetSampleSum() + add.GetSampleSum())
	return true
}

func sameLabels(a, b *dto.Metric) bool {
	return slices.EqualFunc(a.GetLabel(), b.GetLabel(), func(x, y *dto.LabelPair) bool {
		return x.GetName() == y.GetName() && x.GetValue() == y.GetValue()
	})
}

func writeTextfile(path string, mfs map[string]*dto.MetricFamily) error {
	names := make([]string, 0, len(mfs))
	for n := range mfs {
		names = append(names, n)
	}
	slices.Sort(names)
	// Not *.prom, so the collector skips it until the rename.
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+strings.TrimSuffix(filepath.Base(path), ".prom")+".tmp*")
	if err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	enc := expfmt.NewEncoder(tmp, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, n := range names {
		if err := enc.Encode(mfs[n]); err != nil {
			tmp.Close()
			return fmt.Errorf("metrics file %s: %w", path, err)
		}
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
