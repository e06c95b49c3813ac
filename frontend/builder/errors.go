package builder

import (
	"errors"
	"math"

	"github.com/moby/buildkit/frontend/dockerui"
	solvererrdefs "github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"

	"github.com/devcache/devcache/frontend/devcontainer"
)

// withSource attaches devcontainer.json's source and the error's range, so
// buildx prints the offending lines. Errors without a position point at r.
func withSource(err error, src *dockerui.Source, fallback *devcontainer.Range) error {
	if err == nil || src == nil {
		return err
	}
	var r *devcontainer.Range
	var de *devcontainer.Error
	if errors.As(err, &de) && de.Filename == src.Filename {
		r = &de.Range
	} else {
		r = fallback
	}
	if r == nil {
		return err
	}
	end := r.End
	if end.Line == 0 {
		end = r.Start
	}
	info := &pb.SourceInfo{Data: src.Data, Filename: src.Filename, Language: src.Language}
	if src.Definition != nil {
		info.Definition = src.Definition.ToPB()
	}
	return solvererrdefs.WithSource(err, &solvererrdefs.Source{
		Info:   info,
		Ranges: []*pb.Range{pbRange(*r)},
	})
}

func pbRange(r devcontainer.Range) *pb.Range {
	end := r.End
	if end.Line == 0 {
		end = r.Start
	}
	return &pb.Range{
		Start: &pb.Position{Line: clamp32(r.Start.Line), Character: clamp32(r.Start.Column)},
		End:   &pb.Position{Line: clamp32(end.Line), Character: clamp32(end.Column)},
	}
}

// clamp32 converts a line or column to the protocol's int32.
func clamp32(n int) int32 {
	return int32(min(max(n, 0), math.MaxInt32)) //nolint:gosec // clamped above
}
