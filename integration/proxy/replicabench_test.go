package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/credentials"
	"github.com/devcache/devcache/registryproxy/keys"
)

// loadResult is one run of replicaLoad.
type loadResult struct {
	errors     int64
	bytes      int64
	wall       time.Duration
	p50, p99   time.Duration
	pulls, put int
}

// replicaLoad runs, through lb, 200 concurrent pulls (a manifest HEAD by
// tag, then the 4 MiB blob, digest verified) and 20 concurrent pushes of
// new images, all at once.
func replicaLoad(b *testing.B, r *testenv.Replicas) loadResult {
	kf, err := keys.Load(r.KeysFile)
	require.NoError(b, err)
	cred, err := credentials.NewClient("unix:"+r.AdminSocks[0], kf.AdminSecret).Issue(context.Background(), credentials.Request{Project: "alpha", Purpose: contract.PurposeCreate})
	require.NoError(b, err)
	lb := remoteProxy(b, r.Addr)
	tok := lb.pushToken(cred, repoA)
	const sources = 10
	layers := make([]digest.Digest, sources)
	for i := range sources {
		seed := sha256.Sum256(fmt.Appendf(nil, "bench-%d-%d", i, time.Now().UnixNano()))
		d, err := pushRetrying(lb.URL, tok, repoA, fmt.Sprintf("src-%d", i), bytes.Repeat(seed[:], (4<<20)/len(seed)))
		require.NoError(b, err)
		m := lb.do(http.MethodGet, fmt.Sprintf("/v2/%s/manifests/src-%d", repoA, i), tok, nil, map[string]string{"Accept": manifestAccept})
		require.Equal(b, d, digest.FromBytes(m.Body))
		k := bytes.Index(m.Body, []byte(`"layers":[{`))
		k += bytes.Index(m.Body[k:], []byte(`"digest":"`)) + len(`"digest":"`)
		layers[i] = digest.Digest(m.Body[k : k+71])
	}
	var (
		res   loadResult
		errs  atomic.Int64
		first atomic.Value
		total atomic.Int64
		mu    sync.Mutex
		heads []time.Duration
		wg    sync.WaitGroup
	)
	start := make(chan struct{})
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			t0 := time.Now()
			st, h, _, err := rawDo(http.MethodHead, fmt.Sprintf("%s/v2/%s/manifests/src-%d", lb.URL, repoA, i%sources), tok, nil, map[string]string{"Accept": manifestAccept})
			lat := time.Since(t0)
			if err != nil || st != http.StatusOK || h.Get("Docker-Content-Digest") == "" {
				first.CompareAndSwap(nil, fmt.Sprintf("HEAD: %d %v", st, err))
				errs.Add(1)
				return
			}
			mu.Lock()
			heads = append(heads, lat)
			mu.Unlock()
			d := layers[i%sources]
			st, _, body, err := rawDo(http.MethodGet, lb.URL+"/v2/"+repoA+"/blobs/"+d.String(), tok, nil, nil)
			if err != nil || st != http.StatusOK || digest.FromBytes(body) != d {
				first.CompareAndSwap(nil, fmt.Sprintf("GET blob: %d %v (%d bytes)", st, err, len(body)))
				errs.Add(1)
				return
			}
			total.Add(int64(len(body)))
		}()
	}
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			seed := sha256.Sum256(fmt.Appendf(nil, "push-%d-%d", i, time.Now().UnixNano()))
			layer := bytes.Repeat(seed[:], (4<<20)/len(seed))
			if _, err := pushRetrying(lb.URL, tok, repoA, fmt.Sprintf("push-%d-%d", i, time.Now().UnixNano()), layer); err != nil {
				first.CompareAndSwap(nil, "push: "+err.Error())
				errs.Add(1)
				return
			}
			total.Add(int64(len(layer)))
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	res.wall = time.Since(t0)
	res.errors, res.bytes = errs.Load(), total.Load()
	if f := first.Load(); f != nil {
		b.Logf("first error: %s", f)
	}
	slices.Sort(heads)
	if len(heads) > 0 {
		res.p50, res.p99 = heads[len(heads)/2], heads[len(heads)*99/100]
	}
	res.pulls, res.put = len(heads), 20
	return res
}

// BenchmarkReplicas (hack/bench-proxy --replicas 3): the same load — 200
// concurrent blob pulls and 20 concurrent pushes — through HAProxy in
// front of three replicas over the stack's SeaweedFS bucket, and in front
// of one replica over the filesystem, in one run. Reports errors (must be
// 0; every blob's digest is verified), manifest HEAD p50/p99 and
// aggregate GB/s of both, and their ratio.
func BenchmarkReplicas(b *testing.B) {
	s3 := testenv.S3(b)
	bin := buildBinary(b)
	for b.Loop() {
		one := testenv.StartReplicas(b, testenv.ReplicaOptions{Bin: bin, N: 1})
		fs := replicaLoad(b, one)
		three := testenv.StartReplicas(b, testenv.ReplicaOptions{Bin: bin, N: 3, S3: s3})
		rep := replicaLoad(b, three)
		gbs := func(r loadResult) float64 { return float64(r.bytes) / r.wall.Seconds() / 1e9 }
		b.ReportMetric(float64(rep.errors+fs.errors), "errors")
		b.ReportMetric(gbs(rep), "3xS3-GB/s")
		b.ReportMetric(gbs(fs), "1xFS-GB/s")
		b.ReportMetric(gbs(rep)/gbs(fs), "3xS3/1xFS")
		b.ReportMetric(float64(rep.p50.Microseconds()), "3xS3-head-p50-µs")
		b.ReportMetric(float64(rep.p99.Microseconds()), "3xS3-head-p99-µs")
		b.ReportMetric(float64(fs.p50.Microseconds()), "1xFS-head-p50-µs")
		b.ReportMetric(float64(fs.p99.Microseconds()), "1xFS-head-p99-µs")
		if rep.errors+fs.errors > 0 {
			b.Errorf("%d requests failed (3 replicas: %d, 1 replica: %d)", rep.errors+fs.errors, rep.errors, fs.errors)
		}
		b.Logf("3 replicas over S3: %d pulls + %d pushes, %d errors, %.1f MB in %s; 1 replica over the filesystem: %d errors, %.1f MB in %s",
			rep.pulls, rep.put, rep.errors, float64(rep.bytes)/1e6, rep.wall.Round(time.Millisecond), fs.errors, float64(fs.bytes)/1e6, fs.wall.Round(time.Millisecond))
	}
}
