package proxy

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
)

// retrying runs step until it succeeds, at most 8 times: a client's retry
// after the replica it reached died (connection cut, 502/503 from HAProxy).
func retrying(step func() error) error {
	var err error
	for attempt := range 8 {
		if err = step(); err == nil {
			return nil
		}
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
	return err
}

func pushRetrying(base, tok, repo, tag string, layer []byte) (digest.Digest, error) {
	blob := func(data []byte) (digest.Digest, error) {
		d := digest.FromBytes(data)
		return d, retrying(func() error {
			st, h, b, err := rawDo(http.MethodPost, base+"/v2/"+repo+"/blobs/uploads/", tok, nil, nil)
			if err != nil || st != http.StatusAccepted {
				return fmt.Errorf("POST upload: %d %s %v", st, b, err)
			}
			st, _, b, err = rawDo(http.MethodPut, base+h.Get("Location")+"?digest="+d.String(), tok, data, map[string]string{"Content-Type": "application/octet-stream"})
			if err != nil || st != http.StatusCreated {
				return fmt.Errorf("PUT upload: %d %s %v", st, b, err)
			}
			return nil
		})
	}
	ld, err := blob(layer)
	if err != nil {
		return "", err
	}
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["` + ld.String() + `"]}}`)
	cd, err := blob(cfg)
	if err != nil {
		return "", err
	}
	m := fmt.Appendf(nil, `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}`, cd, len(cfg), ld, len(layer))
	return digest.FromBytes(m), retrying(func() error {
		st, _, b, err := rawDo(http.MethodPut, base+"/v2/"+repo+"/manifests/"+tag, tok, m, map[string]string{"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
		if err != nil || st != http.StatusCreated {
			return fmt.Errorf("PUT manifest: %d %s %v", st, b, err)
		}
		return nil
	})
}

// TestReplicaKilledMidLoad: 24 clients push images (4 MiB layers) through
// HAProxy while one of the three replicas is killed with SIGKILL. Clients
// retry a failed step (their upload sessions continue on any replica);
// every push completes, and every tag is served by both surviving
// replicas with its manifest and every blob intact (digests verified): no
// tag is lost and none points at missing content.
func TestReplicaKilledMidLoad(t *testing.T) {
	rs := startReplicaSet(t, "")
	cred := rs.credential(t, 0, "alpha", contract.PurposeCreate)
	tok := rs.lb.pushToken(cred, repoA)
	const n = 24
	digests := make([]digest.Digest, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seed := sha256.Sum256(fmt.Appendf(nil, "kill-%d-%d", i, time.Now().UnixNano()))
			layer := bytes.Repeat(seed[:], (4<<20)/len(seed))
			digests[i], errs[i] = pushRetrying(rs.lb.URL, tok, repoA, fmt.Sprintf("kill-%d", i), layer)
		}()
	}
	time.Sleep(1500 * time.Millisecond) // mid-load
	rs.Kill(1, syscall.SIGKILL)
	killedAt := time.Now()
	wg.Wait()
	t.Logf("pushes finished %s after the kill", time.Since(killedAt).Round(time.Millisecond))
	for i := range n {
		require.NoError(t, errs[i], "push %d", i)
	}
	for _, ri := range []int{0, 2} {
		p := rs.direct[ri]
		tk := p.pushToken(cred, repoA)
		for i := range n {
			r := p.do(http.MethodGet, fmt.Sprintf("/v2/%s/manifests/kill-%d", repoA, i), tk, nil, map[string]string{"Accept": manifestAccept})
			require.Equal(t, http.StatusOK, r.Status, "replica %d, tag kill-%d: %s", ri, i, r.Body)
			require.Equal(t, digests[i], digest.FromBytes(r.Body), "replica %d, tag kill-%d", ri, i)
			for _, field := range []string{`"config":{`, `"layers":[{`} {
				j := strings.Index(string(r.Body), field)
				require.GreaterOrEqual(t, j, 0)
				k := strings.Index(string(r.Body[j:]), `"digest":"`) + j + len(`"digest":"`)
				d := digest.Digest(r.Body[k : k+71])
				b := p.do(http.MethodGet, "/v2/"+repoA+"/blobs/"+d.String(), tk, nil, nil)
				require.Equal(t, http.StatusOK, b.Status, "replica %d, tag kill-%d, blob %s", ri, i, d)
				assert.Equal(t, d, digest.FromBytes(b.Body), "blob bytes intact")
			}
		}
	}
}
