package frontend

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/moby/buildkit/client/llb"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// deterministic runs build twice in the same session and fails when the two
// runs asked BuildKit to solve different LLB (by the digests of every
// definition, nested frontend inputs included), as dalec's test/testenv
// checks every solve of its frontend. The first run's result is returned.
func deterministic(build gwclient.BuildFunc) gwclient.BuildFunc {
	return func(ctx context.Context, c gwclient.Client) (*gwclient.Result, error) {
		first := &recordingClient{Client: c}
		res, err := build(ctx, first)
		if err != nil {
			return nil, err
		}
		second := &recordingClient{Client: c}
		if _, err := build(ctx, second); err != nil {
			return nil, fmt.Errorf("determinism check, second run: %w", err)
		}
		a, b := first.solved(), second.solved()
		if !slices.Equal(a, b) {
			return nil, fmt.Errorf("the frontend is not deterministic: first run solved\n  %s\nsecond run solved\n  %s",
				strings.Join(a, "\n  "), strings.Join(b, "\n  "))
		}
		return res, nil
	}
}

// recordingClient records the LLB of every Solve it passes on.
type recordingClient struct {
	gwclient.Client
	mu   sync.Mutex
	defs []string
}

func (r *recordingClient) Solve(ctx context.Context, req gwclient.SolveRequest) (*gwclient.Result, error) {
	r.mu.Lock()
	if d := defDigest(req.Definition); d != "" {
		r.defs = append(r.defs, d)
	}
	if req.Frontend != "" {
		names := make([]string, 0, len(req.FrontendInputs))
		for n := range req.FrontendInputs {
			names = append(names, n)
		}
		sort.Strings(names)
		entry := req.Frontend
		for _, n := range names {
			entry += " " + n + "=" + defDigest(req.FrontendInputs[n])
		}
		r.defs = append(r.defs, entry)
	}
	r.mu.Unlock()
	return r.Client.Solve(ctx, req)
}

// CurrentFrontend forwards the frontend's own image when the client has one.
func (r *recordingClient) CurrentFrontend() (*llb.State, error) {
	if cf, ok := r.Client.(interface{ CurrentFrontend() (*llb.State, error) }); ok {
		return cf.CurrentFrontend()
	}
	return nil, nil
}

// solved is the recorded LLB, sorted: platforms solve concurrently.
func (r *recordingClient) solved() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.defs)
	sort.Strings(out)
	return out
}

// defDigest is the digest of a definition's terminal op, which covers
// every op it depends on ("" for none).
func defDigest(def *pb.Definition) string {
	if def == nil || len(def.Def) == 0 {
		return ""
	}
	return digest.FromBytes(def.Def[len(def.Def)-1]).String()
}
