package builder

import (
	"context"
	"fmt"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
)

// solve marshals st and solves it, returning the single result reference.
func solve(ctx context.Context, c client.Client, st llb.State) (client.Reference, error) {
	def, err := st.Marshal(ctx, llb.WithCaps(c.BuildOpts().LLBCaps))
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	res, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), Evaluate: true})
	if err != nil {
		return nil, err
	}
	return res.SingleRef()
}

// readFile solves st and reads one file from it.
func readFile(ctx context.Context, c client.Client, st llb.State, name string) ([]byte, client.Reference, error) {
	ref, err := solve(ctx, c, st)
	if err != nil {
		return nil, nil, err
	}
	dt, err := ref.ReadFile(ctx, client.ReadRequest{Filename: name})
	return dt, ref, err
}
