package testenv

import (
	"io"
	"net/http"
	"os"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics is one parsed Prometheus exposition (a scrape or a textfile).
type Metrics map[string]*dto.MetricFamily

// Scrape GETs url (a /metrics endpoint) and parses it.
func Scrape(tb testing.TB, url string) Metrics {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatalf("scraping %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("scraping %s: %s", url, resp.Status)
	}
	return parseMetrics(tb, url, resp.Body)
}

// ReadMetricsFile parses a node_exporter textfile-collector file.
func ReadMetricsFile(tb testing.TB, path string) Metrics {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("metrics file: %v", err)
	}
	defer f.Close()
	return parseMetrics(tb, path, f)
}

func parseMetrics(tb testing.TB, from string, r io.Reader) Metrics {
	tb.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		tb.Fatalf("parsing metrics from %s: %v", from, err)
	}
	return mfs
}

// Has reports whether the family name exists.
func (m Metrics) Has(name string) bool { return m[name] != nil }

// Value sums the counter, gauge or untyped value of the series of name
// whose labels include labels (pairs: name, value); for a histogram or
// summary it sums the sample counts. Absent series count 0.
func (m Metrics) Value(name string, labels ...string) float64 {
	mf := m[name]
	if mf == nil {
		return 0
	}
	var sum float64
	for _, s := range mf.GetMetric() {
		if !hasLabels(s, labels) {
			continue
		}
		switch {
		case s.Counter != nil:
			sum += s.GetCounter().GetValue()
		case s.Gauge != nil:
			sum += s.GetGauge().GetValue()
		case s.Untyped != nil:
			sum += s.GetUntyped().GetValue()
		case s.Histogram != nil:
			sum += float64(s.GetHistogram().GetSampleCount())
		case s.Summary != nil:
			sum += float64(s.GetSummary().GetSampleCount())
		}
	}
	return sum
}

// Sum sums the histogram or summary sample sums of name's matching series.
func (m Metrics) Sum(name string, labels ...string) float64 {
	mf := m[name]
	if mf == nil {
		return 0
	}
	var sum float64
	for _, s := range mf.GetMetric() {
		if !hasLabels(s, labels) {
			continue
		}
		if s.Histogram != nil {
			sum += s.GetHistogram().GetSampleSum()
		}
		if s.Summary != nil {
			sum += s.GetSummary().GetSampleSum()
		}
	}
	return sum
}

func hasLabels(s *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, l := range s.GetLabel() {
			if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
