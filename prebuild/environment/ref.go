package environment

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/container"
	"github.com/devcache/devcache/prebuild/gitsync"
)

// gitRef is the commit an environment starts at (Request.Ref), resolved on
// the project's remote through the host's mirror. A nil *gitRef is "no
// ref": the workspace folder as it is.
type gitRef struct {
	m *gitsync.Mirror
	t gitsync.Target
	// config is the devcontainer.json's path in the repository.
	configPath string
}

// resolveRef resolves req.Ref before anything starts: a ref the remote
// lacks is an error here.
func (c *Creator) resolveRef(ctx context.Context, req *Request) (*gitRef, error) {
	if req.Ref == "" {
		return nil, nil
	}
	remote := req.Remote
	if remote == "" {
		var err error
		if remote, err = gitsync.Origin(ctx, req.WorkspaceFolder); err != nil {
			return nil, err
		}
	}
	rel, err := filepath.Rel(req.WorkspaceFolder, req.ConfigFile)
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("the devcontainer.json %s is outside the workspace folder %s: %w", req.ConfigFile, req.WorkspaceFolder, errdefs.ErrInvalidArgument)
	}
	m, err := gitsync.OpenMirror(ctx, filepath.Join(c.StateDir, "git"), remote)
	if err != nil {
		return nil, err
	}
	t, err := m.Resolve(ctx, req.Ref)
	if err != nil {
		return nil, err
	}
	log.G(ctx).Info("environment at "+short(t.Commit), "ref", t.Ref, "commit", t.Commit, "remote", remote)
	return &gitRef{m: m, t: t, configPath: filepath.ToSlash(rel)}, nil
}

// keep returns the prebuild when it can be brought to the commit: not when
// the Dev Container configuration (its folder) changed since the
// prebuild's commit — that is another image.
func (g *gitRef) keep(ctx context.Context, pb *prebuild.Prebuild, _ Request) (*prebuild.Prebuild, string) {
	if !g.m.Has(ctx, pb.Commit) {
		log.G(ctx).Warn("the prebuild's commit is not on the remote: the whole workspace is checked out", "prebuild", pb.ID, "commit", pb.Commit)
		return pb, ""
	}
	changed, err := g.m.Changed(ctx, pb.Commit, g.t.Commit)
	if err != nil {
		log.G(ctx).Warn("comparing the prebuild's commit", "error", err)
		return pb, ""
	}
	dir := path.Dir(g.configPath)
	for _, p := range changed {
		if p == g.configPath || (dir != "." && strings.HasPrefix(p, dir+"/")) {
			return nil, fmt.Sprintf("the Dev Container configuration changed since prebuild %s (%s at %s)", pb.ID, p, short(pb.Commit))
		}
	}
	return pb, ""
}

// checkout makes a checkout of the commit under dir and points the request
// at it (a start from scratch at the commit).
func (g *gitRef) checkout(ctx context.Context, req *Request, dir string) error {
	ws := filepath.Join(dir, filepath.Base(req.WorkspaceFolder))
	if err := os.RemoveAll(ws); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := g.m.Clone(ctx, ws, g.t); err != nil {
		return err
	}
	req.WorkspaceFolder, req.ConfigFile = ws, filepath.Join(ws, filepath.FromSlash(g.configPath))
	return nil
}

// config reads the devcontainer.json: the commit's, or the file's.
func (g *gitRef) config(ctx context.Context, req Request) ([]byte, error) {
	if g == nil {
		return os.ReadFile(req.ConfigFile)
	}
	return g.m.ReadFile(ctx, g.t.Commit, g.configPath)
}

// sync brings the prebuild's workspace in the running container to the
// commit and reports whether its content changed.
func (g *gitRef) sync(ctx context.Context, ctr *container.Container, pb *prebuild.Prebuild, req Request, res *Result) (bool, error) {
	start := time.Now()
	root, err := ctr.Root()
	if err != nil {
		return false, err
	}
	res.Commit, res.Behind = g.t.Commit, -1
	msg := fmt.Sprintf("prebuild at %s (commit unknown to the remote); updating", short(pb.Commit))
	if g.m.Has(ctx, pb.Commit) {
		if n, err := g.m.Behind(ctx, pb.Commit, g.t.Commit); err == nil {
			res.Behind = n
			msg = fmt.Sprintf("prebuild at %s, %d commits behind; updating", short(pb.Commit), n)
			if pb.Commit == g.t.Commit {
				msg = fmt.Sprintf("prebuild at %s, up to date", short(pb.Commit))
			}
		}
	}
	log.G(ctx).Info(msg, "prebuild", pb.ID, "from", pb.Commit, "to", g.t.Commit, "ref", g.t.Ref)
	s, err := g.m.Sync(ctx, filepath.Join(root, req.ContainerWorkspace), g.t)
	if err != nil {
		return false, fmt.Errorf("bringing the workspace to %s: %w", short(g.t.Commit), err)
	}
	res.Steps = append(res.Steps, "sync workspace")
	log.G(ctx).Info("step", "step", "sync workspace", "changed", len(s.Changed), "duration", time.Since(start).Round(time.Millisecond))
	return len(s.Changed) > 0, nil
}

// short abbreviates a commit id for the logs.
func short(commit string) string {
	if commit == "" {
		return "(no commit)"
	}
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}
