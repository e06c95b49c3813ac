package imagecache

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/registryproxy/lease"
)

// heldLeases always answers that another runner holds the lease, and
// makes the image appear after a few polls (the other runner's push).
type heldLeases struct {
	mu    sync.Mutex
	calls int
	reg   *fakeRegistry
	ref   string
	err   error
}

func (l *heldLeases) Acquire(context.Context, string, string, string, time.Duration) (*lease.Held, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.err != nil {
		return nil, l.err
	}
	if l.calls == 3 {
		l.reg.mu.Lock()
		l.reg.images[l.ref] = &CachedImage{Ref: l.ref, Digest: "sha256:theirs"}
		l.reg.mu.Unlock()
	}
	return nil, &lease.HeldError{Info: lease.Info{Holder: "host-2", AcquiredAt: time.Now().Add(-40 * time.Second)}}
}

func TestOneBuildWaitsForTheHolder(t *testing.T) {
	c, _, reg, b, rt := newCache()
	l := &heldLeases{reg: reg, ref: cacheRef(t)}
	c.OneBuild = &OneBuild{Poll: time.Millisecond}
	c.Leases = func(CredentialSource) Leases { return l }
	var logs bytes.Buffer
	ctx := log.WithLogger(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)))
	res, err := c.Get(ctx, newWorkspace(t))
	require.NoError(t, err)
	assert.Equal(t, OutcomeHit, res.Outcome, "the other runner's image is used")
	assert.True(t, res.Waited)
	assert.Empty(t, b.reqs, "no build while another runner builds")
	assert.Equal(t, []string{l.ref}, rt.pulled)
	assert.Equal(t, 1, strings.Count(logs.String(), "another runner is building this dev container (started 40s ago); waiting"), logs.String())
}

func TestOneBuildGivesUp(t *testing.T) {
	c, _, reg, b, _ := newCache()
	l := &heldLeases{reg: reg, ref: "never"}
	c.OneBuild = &OneBuild{Poll: time.Millisecond, Wait: 20 * time.Millisecond}
	c.Leases = func(CredentialSource) Leases { return l }
	res, err := c.Get(context.Background(), newWorkspace(t))
	require.NoError(t, err)
	require.Len(t, b.reqs, 1, "past the wait the runner builds itself")
	assert.NotEmpty(t, b.reqs[0].Push)
	assert.Contains(t, strings.Join(res.Warnings, "\n"), "building here")

	c2, _, reg2, b2, _ := newCache()
	c2.OneBuild = &OneBuild{}
	c2.Leases = func(CredentialSource) Leases { return &heldLeases{reg: reg2, err: errors.New("no lease endpoint")} }
	res, err = c2.Get(context.Background(), newWorkspace(t))
	require.NoError(t, err)
	require.Len(t, b2.reqs, 1, "no lease endpoint: build without waiting")
	assert.Contains(t, strings.Join(res.Warnings, "\n"), "build lease unavailable")
}

func TestOneBuildNotForRebuilds(t *testing.T) {
	c, _, reg, b, _ := newCache()
	l := &heldLeases{reg: reg, ref: "never"}
	c.OneBuild = &OneBuild{Poll: time.Millisecond}
	c.Leases = func(CredentialSource) Leases { return l }
	r := newWorkspace(t)
	r.Purpose = contract.PurposeRebuild
	_, err := c.Get(context.Background(), r)
	require.NoError(t, err)
	assert.Zero(t, l.calls, "pull-only runners take no lease")
	assert.Len(t, b.reqs, 1)
}
