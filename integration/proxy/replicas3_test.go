package proxy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/credentials"
	"github.com/devcache/devcache/registryproxy/keys"
)

// replicaSet is three devcache-proxy binaries over the stack's SeaweedFS
// bucket behind HAProxy, with a client for HAProxy (lb) and for each replica.
type replicaSet struct {
	*testenv.Replicas
	lb     *proxy
	direct []*proxy
	secret string
}

func startReplicaSet(t *testing.T, extra string) *replicaSet {
	t.Helper()
	if testing.Short() {
		t.Skip("runs three proxy binaries, SeaweedFS and HAProxy")
	}
	s3 := testenv.S3(t)
	r := testenv.StartReplicas(t, testenv.ReplicaOptions{Bin: buildBinary(t), N: 3, S3: s3, Extra: extra})
	kf, err := keys.Load(r.KeysFile)
	require.NoError(t, err)
	rs := &replicaSet{Replicas: r, lb: remoteProxy(t, r.Addr), secret: kf.AdminSecret}
	for _, a := range r.Addrs {
		rs.direct = append(rs.direct, remoteProxy(t, a))
	}
	return rs
}

func remoteProxy(t testing.TB, hostport string) *proxy {
	return &proxy{t: t, Host: hostport, URL: "http://" + hostport}
}

// credential asks replica i's admin endpoint, as `devcache-proxy credentials` would.
func (rs *replicaSet) credential(t testing.TB, i int, project string, purpose contract.Purpose) credentials.Credential {
	t.Helper()
	c, err := credentials.NewClient("unix:"+rs.AdminSocks[i], rs.secret).Issue(context.Background(), credentials.Request{Project: project, Purpose: purpose})
	require.NoError(t, err)
	return c
}

// TestReplicasBehindHAProxy: three real replicas sharing keys.json and a
// bucket. A credential from any replica works on every replica; an image
// pushed through one is pulled (manifest and blobs) through the others and
// through HAProxy; an upload started on one is continued on a second and
// finished on the third (no sticky sessions); a push through HAProxy,
// whose requests land round robin on all three, is pulled back.
func TestReplicasBehindHAProxy(t *testing.T) {
	rs := startReplicaSet(t, "")
	for i := range rs.direct {
		cred := rs.credential(t, i, "alpha", contract.PurposeCreate)
		for j, p := range rs.direct {
			tr := p.token(cred, "repository:"+repoA+":pull,push")
			assert.Equal(t, "repository:"+repoA+":pull,push", tr.Scope, "credential of replica %d on replica %d", i, j)
		}
	}

	cred := rs.credential(t, 1, "alpha", contract.PurposeCreate)
	tok := make([]string, 3)
	for i, p := range rs.direct {
		tok[i] = p.pushToken(cred, repoA)
	}
	m, d := rs.direct[0].image(tok[0], repoA, "replicas")
	require.Equal(t, http.StatusCreated, rs.direct[0].putManifest(tok[0], repoA, "v1", m).Status)
	layer := digest.FromBytes([]byte("layer replicas"))
	for i, p := range append(rs.direct[1:], rs.lb) {
		tk := tok[(i+1)%3]
		if p == rs.lb {
			tk = rs.lb.pushToken(cred, repoA)
		}
		r := p.do(http.MethodGet, "/v2/"+repoA+"/manifests/v1", tk, nil, map[string]string{"Accept": manifestAccept})
		require.Equal(t, http.StatusOK, r.Status, "manifest through %s: %s", p.Host, r.Body)
		assert.Equal(t, d.String(), r.Header.Get("Docker-Content-Digest"))
		assert.Equal(t, m, r.Body)
		r = p.do(http.MethodGet, "/v2/"+repoA+"/blobs/"+layer.String(), tk, nil, nil)
		require.Equal(t, http.StatusOK, r.Status, "blob through %s", p.Host)
		assert.Equal(t, layer, digest.FromBytes(r.Body), "blob bytes through %s", p.Host)
	}

	// One upload session across three replicas.
	r := rs.direct[0].do(http.MethodPost, "/v2/"+repoA+"/blobs/uploads/", tok[0], nil, nil)
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	chunk1, chunk2 := bytes.Repeat([]byte("1"), 6<<20), bytes.Repeat([]byte("2"), 1<<20)
	r = rs.direct[1].do(http.MethodPatch, r.Header.Get("Location"), tok[1], chunk1,
		map[string]string{"Content-Type": "application/octet-stream", "Content-Range": fmt.Sprintf("0-%d", len(chunk1)-1)})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	whole := append(append([]byte{}, chunk1...), chunk2...)
	dw := digest.FromBytes(whole)
	r = rs.direct[2].do(http.MethodPut, r.Header.Get("Location")+"?digest="+dw.String(), tok[2], chunk2,
		map[string]string{"Content-Type": "application/octet-stream"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	r = rs.direct[0].do(http.MethodGet, "/v2/"+repoA+"/blobs/"+dw.String(), tok[0], nil, nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, dw, digest.FromBytes(r.Body), "the blob assembled over three replicas")

	// Everything through HAProxy: each request may land on another replica.
	lt := rs.lb.pushToken(cred, repoA)
	m2, d2 := rs.lb.image(lt, repoA, "through-lb")
	require.Equal(t, http.StatusCreated, rs.lb.putManifest(lt, repoA, "v2", m2).Status)
	for i, p := range rs.direct {
		r := p.do(http.MethodHead, "/v2/"+repoA+"/manifests/v2", tok[i], nil, map[string]string{"Accept": manifestAccept})
		require.Equal(t, http.StatusOK, r.Status, "replica %d", i)
		assert.Equal(t, d2.String(), r.Header.Get("Docker-Content-Digest"))
	}
	served := 0
	for i := range rs.Addrs {
		served += strings.Count(rs.Log(i), `"msg":"request"`)
		assert.Contains(t, rs.Log(i), `"route":"manifest"`, "replica %d served requests", i)
	}
	assert.Positive(t, served)
}

// rawDo is do for goroutines: no testing calls.
func rawDo(method, url, bearer string, body []byte, hdr map[string]string) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

// TestWriteOnceTagAcrossReplicas: 50 concurrent pushes of 50 different
// manifests to one tag, through HAProxy (so spread over three replicas):
// exactly one is accepted, the 49 others are refused as immutable, and
// every replica serves the winner's digest, before and after all three
// restart (one of them killed with SIGKILL).
func TestWriteOnceTagAcrossReplicas(t *testing.T) {
	rs := startReplicaSet(t, "")
	cred := rs.credential(t, 0, "alpha", contract.PurposeCreate)
	lt := rs.lb.pushToken(cred, repoA)
	const n = 50
	manifests := make([][]byte, n)
	for i := range n {
		manifests[i], _ = rs.lb.image(lt, repoA, fmt.Sprintf("race-%d", i))
	}
	type result struct {
		status int
		body   string
		err    error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			st, _, b, err := rawDo(http.MethodPut, rs.lb.URL+"/v2/"+repoA+"/manifests/race", lt, manifests[i],
				map[string]string{"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
			results[i] = result{st, string(b), err}
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, res := range results {
		require.NoError(t, res.err)
		if res.status == http.StatusCreated {
			require.Equal(t, -1, winner, "a second push was accepted: %d and %d", winner, i)
			winner = i
			continue
		}
		assert.Equal(t, http.StatusBadRequest, res.status, res.body)
		assert.Contains(t, res.body, "TAG_INVALID", "a losing push is told the tag is immutable")
	}
	require.NotEqual(t, -1, winner, "one push is accepted")
	want := digest.FromBytes(manifests[winner])

	check := func(when string) {
		t.Helper()
		for i, a := range rs.Addrs {
			p := remoteProxy(t, a)
			r := p.do(http.MethodGet, "/v2/"+repoA+"/manifests/race", p.pushToken(cred, repoA), nil, map[string]string{"Accept": manifestAccept})
			require.Equal(t, http.StatusOK, r.Status, "%s: replica %d: %s", when, i, r.Body)
			assert.Equal(t, want.String(), r.Header.Get("Docker-Content-Digest"), "%s: replica %d", when, i)
			assert.Equal(t, want, digest.FromBytes(r.Body), "%s: replica %d", when, i)
		}
	}
	check("after the race")
	// A late push of another manifest is refused by every replica.
	other := manifests[(winner+1)%n]
	for i, p := range rs.direct {
		r := p.putManifest(p.pushToken(cred, repoA), repoA, "race", other)
		assert.Equal(t, "TAG_INVALID", r.code(), "replica %d", i)
	}
	rs.Kill(0, syscall.SIGKILL)
	rs.Kill(1, syscall.SIGTERM)
	rs.Kill(2, syscall.SIGTERM)
	for i := range rs.Addrs {
		rs.Start(i)
	}
	check("after restarting every replica")
	r := rs.direct[2].putManifest(rs.direct[2].pushToken(cred, repoA), repoA, "race", other)
	assert.Equal(t, "TAG_INVALID", r.code(), "still immutable after the restarts")
}
