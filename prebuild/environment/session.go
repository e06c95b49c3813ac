package environment

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild/container"
	"github.com/devcache/devcache/prebuild/lifecycle"
)

// hookOrder ranks the container hooks for waitFor.
var hookOrder = map[lifecycle.Hook]int{
	lifecycle.OnCreate: 1, lifecycle.UpdateContent: 2, lifecycle.PostCreate: 3, lifecycle.PostStart: 4, lifecycle.PostAttach: 5,
}

// splitAtWaitFor splits the hooks to run into those up to waitFor (the
// environment is ready after them) and the rest (run in the background).
func splitAtWaitFor(hooks []lifecycle.Hook, waitFor lifecycle.Hook) (now, later []lifecycle.Hook) {
	for _, h := range hooks {
		if hookOrder[h] <= hookOrder[waitFor] {
			now = append(now, h)
		} else {
			later = append(later, h)
		}
	}
	return now, later
}

// matchUID applies updateRemoteUserUID: a non-root remote user gets the UID
// and GID of the workspace folder's owner (as the reference CLI gives it the
// local user's on Linux), so what it writes in the workspace is the owner's.
// A root owner, a root user, or a UID another user has leave it alone.
func matchUID(ctx context.Context, ctr *container.Container, user, workspace string, s lifecycle.Settings) error {
	if !s.UpdateRemoteUserUID || user == "" || user == "root" || strings.HasPrefix(user, "0") {
		return nil
	}
	if strings.Trim(user, "0123456789:") == "" {
		return nil // a numeric user: nothing to rename
	}
	// The container's view: the workspace is a bind mount there, which
	// the host's mount of the rootfs does not show.
	root, err := ctr.View()
	if err != nil {
		return err
	}
	st, err := os.Stat(filepath.Join(root, workspace))
	if err != nil {
		return fmt.Errorf("the workspace folder's owner: %w", err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || sys.Uid == 0 {
		return nil
	}
	uid, gid, _, err := ctr.ResolvedUser(ctx, user)
	if err != nil {
		return err
	}
	if uid == 0 || (uid == sys.Uid && gid == sys.Gid) {
		return nil
	}
	changed, err := ctr.UpdateUserUID(ctx, user, sys.Uid, sys.Gid)
	if err != nil {
		return err
	}
	if !changed {
		log.G(ctx).Warn("updateRemoteUserUID: another user of the container has the workspace owner's UID; left alone", "user", user, "uid", sys.Uid)
		return nil
	}
	log.G(ctx).Info("updateRemoteUserUID: remote user matched to the workspace owner", "user", user, "from", fmt.Sprintf("%d:%d", uid, gid), "to", fmt.Sprintf("%d:%d", sys.Uid, sys.Gid))
	return nil
}

// sessionEnv is the environment of the lifecycle commands: the probed user
// environment (userEnvProbe), the secrets, then remoteEnv with
// ${containerEnv:…} (and ${localEnv:…}) substituted.
func sessionEnv(ctx context.Context, ctr *container.Container, user string, s lifecycle.Settings, req Request) ([]string, error) {
	probed, err := ctr.ProbeEnv(ctx, user, s.UserEnvProbe)
	if err != nil {
		return nil, fmt.Errorf("userEnvProbe %s: %w", s.UserEnvProbe, err)
	}
	if len(probed) > 0 {
		log.G(ctx).Info("user environment probed", "probe", s.UserEnvProbe, "variables", len(probed))
	}
	seen := lifecycle.MergeEnv(ctr.Env(), probed)
	sub := devcontainer.Substituter{
		LocalEnv:                 os.LookupEnv,
		LocalWorkspaceFolder:     req.WorkspaceFolder,
		ContainerWorkspaceFolder: req.ContainerWorkspace,
		ContainerEnv: func(name string) (string, bool) {
			for i := len(seen) - 1; i >= 0; i-- {
				if k, v, _ := strings.Cut(seen[i], "="); k == name {
					return v, true
				}
			}
			return "", false
		},
	}
	remote := make([]string, 0, len(s.RemoteEnv))
	for _, kv := range s.RemoteEnv {
		k, v, _ := strings.Cut(kv, "=")
		remote = append(remote, k+"="+sub.String(v))
	}
	return lifecycle.MergeEnv(lifecycle.MergeEnv(probed, req.Secrets.Env()), remote), nil
}
