package llbgen

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/features"
)

// memResolver resolves local Features from memory; Content is a local
// source like the frontend's.
type memResolver map[string]string

func (m memResolver) Resolve(_ context.Context, ref features.Ref) (*features.Resolved, error) {
	md, err := features.ParseMetadata(ref.Path, []byte(m[ref.Path]))
	if err != nil {
		return nil, err
	}
	files := llb.Local("dockerfile", llb.IncludePatterns([]string{ref.Path}), llb.LocalUniqueID(ref.Path))
	return &features.Resolved{Metadata: md, Digest: digest.FromString(m[ref.Path]), Content: files}, nil
}

// BenchmarkLLBGen10Features measures LLB generation for a configuration
// with 10 local Features: parse devcontainer.json, order the Features,
// generate and marshal the LLB (Feature fetching excluded).
func BenchmarkLLBGen10Features(b *testing.B) {
	res := memResolver{}
	var refs []string
	for i := range 10 {
		id := fmt.Sprintf("f%d", i)
		after := ""
		if i > 0 {
			after = fmt.Sprintf(`"installsAfter": ["./f%d"], `, i-1)
		}
		res[id] = fmt.Sprintf(`{"id": %q, "version": "1.0.0", %s"containerEnv": {"F%d": "x:${PATH}"}, "options": {"v": {"type": "string", "default": "1"}}}`, id, after, i)
		refs = append(refs, fmt.Sprintf(`"./%s": {"v": "%d"}`, id, i))
	}
	src := []byte(`{"image": "x", "remoteUser": "dev", "containerEnv": {"A": "1"}, "features": {` + strings.Join(refs, ", ") + `}}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, err := devcontainer.Parse("devcontainer.json", src)
		if err != nil {
			b.Fatal(err)
		}
		fs, err := features.Order(ctx, res, c.Features, features.OrderOpt{})
		if err != nil {
			b.Fatal(err)
		}
		var gf []Feature
		for _, f := range fs {
			gf = append(gf, Feature{Feature: f, Files: f.Content.(llb.State)})
		}
		out, err := Generate(testBase(), Opt{Config: c, Features: gf, Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := out.State.Marshal(ctx, llb.LinuxAmd64); err != nil {
			b.Fatal(err)
		}
	}
}
