package metrics

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func run(t *testing.T, path string, outcome string, seconds float64, last float64) {
	t.Helper()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x_total", Help: "x"}, []string{"outcome"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "x_seconds", Help: "x", Buckets: []float64{1, 10}})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x_last", Help: "x"})
	reg.MustRegister(c, h, g)
	c.WithLabelValues(outcome).Inc()
	h.Observe(seconds)
	g.Set(last)
	if err := AddToTextfile(path, reg); err != nil {
		t.Fatal(err)
	}
}

// Runs add up: counters and histograms are summed, gauges are the last
// run's, series of one run only are kept; no temporary file is left.
func TestAddToTextfileAccumulates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "devcache.prom")
	run(t, path, "hit", 0.5, 1)
	run(t, path, "miss", 5, 2)
	run(t, path, "hit", 50, 3)
	want := `
# HELP x_last x
# TYPE x_last gauge
x_last 3
# HELP x_seconds x
# TYPE x_seconds histogram
x_seconds_bucket{le="1"} 1
x_seconds_bucket{le="10"} 2
x_seconds_bucket{le="+Inf"} 3
x_seconds_sum 55.5
x_seconds_count 3
# HELP x_total x
# TYPE x_total counter
x_total{outcome="hit"} 2
x_total{outcome="miss"} 1
`
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != strings.TrimPrefix(want, "\n") {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "devcache.prom" && e.Name() != "devcache.prom.lock" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// A file that is not in the exposition format is an error, not overwritten.
func TestAddToTextfileRefusesGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "devcache.prom")
	if err := os.WriteFile(path, []byte("not { metrics\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := AddToTextfile(path, prometheus.NewRegistry())
	if err == nil || !strings.Contains(err.Error(), "exposition format") {
		t.Fatalf("err = %v", err)
	}
}
