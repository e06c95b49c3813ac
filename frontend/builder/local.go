package builder

import (
	"context"
	"os"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"

	"github.com/devcache/devcache/frontend/features"
)

// dockerfileLocal is a state of the local holding devcontainer.json, with
// only the given paths transferred.
func (o options) dockerfileLocal(name string, include ...string) llb.State {
	return llb.Local(o.dfLocal,
		llb.IncludePatterns(include),
		llb.SessionID(o.dfSession),
		llb.SharedKeyHint(o.dfLocal),
		llb.LocalUniqueID("devcache-frontend:"+strings.Join(include, ",")),
		dockerui.WithInternalName(name),
		llb.Differ(llb.DiffNone, false),
	)
}

// subdir copies dir of st to the root of a new state.
func subdir(st llb.State, dir, name string) llb.State {
	if dir == "." || dir == "/" || dir == "" {
		return st
	}
	return llb.Scratch().File(llb.Copy(st, "/"+dir, "/", &llb.CopyInfo{CopyDirContentsOnly: true}), dockerui.WithInternalName(name))
}

// refFS reads a solved reference for features.FolderDigest.
type refFS struct{ ref client.Reference }

func (r refFS) ReadDir(ctx context.Context, dir string) ([]features.Entry, error) {
	stats, err := r.ref.ReadDir(ctx, client.ReadDirRequest{Path: dir})
	if err != nil {
		return nil, err
	}
	out := make([]features.Entry, len(stats))
	for i, st := range stats {
		out[i] = features.Entry{Name: st.Path, Mode: os.FileMode(st.Mode), Linkname: st.Linkname}
	}
	return out, nil
}

func (r refFS) ReadFile(ctx context.Context, name string) ([]byte, error) {
	dt, err := r.ref.ReadFile(ctx, client.ReadRequest{Filename: name})
	if err != nil {
		if _, serr := r.ref.StatFile(ctx, client.StatRequest{Path: name}); serr != nil {
			return nil, missing(name)
		}
	}
	return dt, err
}
