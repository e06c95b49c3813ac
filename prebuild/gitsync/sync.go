package gitsync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/containerd/errdefs"
)

// Synced is what a sync changed.
type Synced struct {
	// From is the commit the checkout was at.
	From string
	// Changed are the paths whose content changed (added, modified and
	// deleted), relative to the checkout.
	Changed []string
}

// Sync brings the checkout at dir (a prebuild's captured workspace, as the
// host sees it) to t: the commit is fetched from the mirror, then checked
// out. Tracked files become t's; ignored and untracked files (build
// outputs) stay. Files git writes get the owner of the workspace folder, as
// if its owner had run git.
func (m *Mirror) Sync(ctx context.Context, dir string, t Target) (Synced, error) {
	if _, err := git(ctx, dir, "rev-parse", "--git-dir"); err != nil {
		return Synced{}, fmt.Errorf("the workspace %s is not a git checkout: %w: %w", dir, err, errdefs.ErrFailedPrecondition)
	}
	var s Synced
	if out, err := git(ctx, dir, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err == nil {
		s.From = strings.TrimSpace(out)
	}
	if _, err := git(ctx, dir, "fetch", "--quiet", "--no-tags", m.Dir, t.Commit); err != nil {
		return Synced{}, fmt.Errorf("fetching %s into the workspace: %w", t.Commit, err)
	}
	if t.Branch != "" {
		if _, err := git(ctx, dir, "update-ref", "refs/remotes/origin/"+t.Branch, t.Commit); err != nil {
			return Synced{}, err
		}
	}
	if s.From != "" {
		out, err := git(ctx, dir, "diff", "--name-only", "--no-renames", "-z", s.From, t.Commit)
		if err != nil {
			return Synced{}, err
		}
		for _, p := range strings.Split(out, "\x00") {
			if p != "" {
				s.Changed = append(s.Changed, p)
			}
		}
	}
	if err := checkout(ctx, dir, t); err != nil {
		return Synced{}, err
	}
	if s.From == "" {
		s.Changed = []string{"."}
	}
	return s, chownNew(dir, s.Changed)
}

// chownNew gives the files git (running as root) created or replaced the
// owner of the workspace folder: the changed paths and root-owned entries of
// .git. Other root-owned files (the setup's) are left alone.
func chownNew(dir string, changed []string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || sys.Uid == 0 {
		return nil
	}
	uid, gid := int(sys.Uid), int(sys.Gid)
	fix := func(p string) error {
		var ls syscall.Stat_t
		if err := syscall.Lstat(p, &ls); err != nil {
			if errors.Is(err, syscall.ENOENT) {
				return nil // deleted
			}
			return err
		}
		if ls.Uid == 0 {
			return os.Lchown(p, uid, gid)
		}
		return nil
	}
	walk := func(root string) error {
		return filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			return fix(p)
		})
	}
	if err := walk(filepath.Join(dir, ".git")); err != nil {
		return err
	}
	for _, c := range changed {
		if c == "." {
			return walk(dir)
		}
		// The file and any folder git made for it.
		for p := c; p != "." && p != "/"; p = filepath.Dir(p) {
			if err := fix(filepath.Join(dir, p)); err != nil {
				return err
			}
		}
	}
	return nil
}
