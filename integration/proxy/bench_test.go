package proxy

import (
	"crypto/rand"
	"io"
	"net/http"
	"net/url"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/backend"
	"github.com/devcache/devcache/registryproxy/config"
)

// benchProxy is a proxy whose embedded backend also listens on loopback
// TCP, so the same registry can be measured directly and through the proxy.
func benchProxy(b *testing.B) (*proxy, string) {
	p := startProxy(b, func(c *config.Config) { c.Backend.EmbeddedListen = "127.0.0.1:0" })
	return p, p.svc.Backend.(*backend.Embedded).BaseURL()
}

func download(b *testing.B, client *http.Client, u, bearer string) int64 {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := client.Do(req)
	require.NoError(b, err)
	defer resp.Body.Close()
	require.Equal(b, http.StatusOK, resp.StatusCode)
	n, err := io.Copy(io.Discard, resp.Body)
	require.NoError(b, err)
	return n
}

// BenchmarkBlobDownload downloads one 128 MiB blob alternately from the
// backend directly and through the proxy and reports both throughputs and
// their ratio (target: proxy ≥ 0.9× direct).
func BenchmarkBlobDownload(b *testing.B) {
	p, direct := benchProxy(b)
	tok := p.pushToken(p.credential("alpha", contract.PurposeCreate), repoA)
	const size = 128 << 20
	data := make([]byte, size)
	_, _ = rand.Read(data)
	d := p.pushBlob(tok, repoA, data)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	viaDirect := direct + "/v2/" + repoA + "/blobs/" + d.String()
	viaProxy := p.URL + "/v2/" + repoA + "/blobs/" + d.String()
	download(b, client, viaDirect, "") // warm the page cache
	timed := func(u, bearer string) time.Duration {
		s := time.Now()
		download(b, client, u, bearer)
		return time.Since(s)
	}
	// Pairs in alternating order; the median pair ratio resists the noise
	// of a shared machine.
	var tDirect, tProxy time.Duration
	var ratios []float64
	pairs := max(b.N, 12)
	b.ResetTimer()
	for i := 0; i < pairs; i++ {
		var d, p time.Duration
		if i%2 == 0 {
			d, p = timed(viaDirect, ""), timed(viaProxy, tok)
		} else {
			p, d = timed(viaProxy, tok), timed(viaDirect, "")
		}
		tDirect += d
		tProxy += p
		ratios = append(ratios, d.Seconds()/p.Seconds())
	}
	sort.Float64s(ratios)
	b.Logf("pair ratios: %.2f", ratios)
	mb := float64(pairs) * float64(size) / (1 << 20)
	b.ReportMetric(mb/tDirect.Seconds(), "direct-MiB/s")
	b.ReportMetric(mb/tProxy.Seconds(), "proxy-MiB/s")
	b.ReportMetric(ratios[len(ratios)/2], "proxy/direct")
}

func p50(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// BenchmarkManifestHead measures a manifest HEAD by tag directly and
// through the proxy (token verified, push record checked) and reports the
// p50 of each and the p50 latency the proxy adds (target ≤ 0.3 ms).
func BenchmarkManifestHead(b *testing.B) {
	p, direct := benchProxy(b)
	tok := p.pushToken(p.credential("alpha", contract.PurposeCreate), repoA)
	m, _ := p.image(tok, repoA, "head")
	require.Equal(b, http.StatusCreated, p.putManifest(tok, repoA, "head", m).Status)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	head := func(u, bearer string) time.Duration {
		req, _ := http.NewRequest(http.MethodHead, u, nil)
		req.Header.Set("Accept", manifestAccept)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		s := time.Now()
		resp, err := client.Do(req)
		el := time.Since(s)
		require.NoError(b, err)
		resp.Body.Close()
		require.Equal(b, http.StatusOK, resp.StatusCode)
		return el
	}
	viaDirect := direct + "/v2/" + repoA + "/manifests/head"
	viaProxy := p.URL + "/v2/" + repoA + "/manifests/head"
	for range 200 { // warm connections and caches
		head(viaDirect, "")
		head(viaProxy, tok)
	}
	var dd, dp []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dd = append(dd, head(viaDirect, ""))
		dp = append(dp, head(viaProxy, tok))
	}
	b.StopTimer()
	pd, pp := p50(dd), p50(dp)
	b.ReportMetric(float64(pd.Microseconds()), "direct-p50-µs")
	b.ReportMetric(float64(pp.Microseconds()), "proxy-p50-µs")
	b.ReportMetric(float64((pp - pd).Microseconds()), "added-p50-µs")
}

// BenchmarkTokenIssue measures /token over HTTP (GET with Basic auth, one
// scope) from parallel clients and reports tokens per second (target ≥ 5,000/s).
func BenchmarkTokenIssue(b *testing.B) {
	p := startProxy(b, nil)
	cred := p.credential("bench", contract.PurposeCreate)
	u := p.URL + "/token?" + url.Values{"service": {"devcache-proxy"}, "scope": {"repository:projects/bench/image-build:pull,push"}}.Encode()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.SetParallelism(4)
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.SetBasicAuth(cred.Username, cred.Password)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			n.Add(1)
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "tokens/s")
}
