package imagecache

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/registryproxy/credentials"
	"github.com/devcache/devcache/registryproxy/keys"
)

// newReplicaEnv is newEnv with the runners' proxy being three
// devcache-proxy binaries over the stack's SeaweedFS bucket behind
// HAProxy; credentials come from the replicas' admin endpoints in turn.
func newReplicaEnv(t *testing.T) *env {
	t.Helper()
	s := testenv.Get(t)
	r := testenv.StartReplicas(t, testenv.ReplicaOptions{Bin: proxyBin, N: 3, S3: testenv.S3(t)})
	kf, err := keys.Load(r.KeysFile)
	require.NoError(t, err)
	var next atomic.Int32
	e := &env{t: t, s: s, proxy: &proxy{host: r.Addr, issue: func(ctx context.Context, req credentials.Request) (credentials.Credential, error) {
		sock := r.AdminSocks[int(next.Add(1))%len(r.AdminSocks)]
		return credentials.NewClient("unix:"+sock, kf.AdminSecret).Issue(ctx, req)
	}}}
	e.base = fmt.Sprintf("%s/it/imagecache-%d:v1", s.Registry, time.Now().UnixNano())
	require.NoError(t, crane.Copy(s.BusyboxImage(), e.base, crane.Insecure))
	return e
}

// TestOneBuildAcrossReplicas: TestOneBuildAcrossRunners with the build
// lease held in the bucket and every lease call round-robined over three
// replicas: three runner hosts (private buildkitds) missing one key at
// once make exactly one BuildKit solve and get three identical digests.
func TestOneBuildAcrossReplicas(t *testing.T) { oneBuildAcross(t, newReplicaEnv(t)) }

// TestOneBuildBuilderKilledAcrossReplicas: TestOneBuildBuilderKilled
// through HAProxy and three replicas: the lease of a builder killed with
// SIGKILL is taken over within its TTL.
func TestOneBuildBuilderKilledAcrossReplicas(t *testing.T) { builderKilled(t, newReplicaEnv(t)) }
