package gitsync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
)

// Mirror is a bare copy of a project's remote on the runner host.
type Mirror struct {
	// Dir is the bare repository.
	Dir string
	// Remote is the project's remote (URL or path).
	Remote string
}

// Target is a ref resolved on the remote.
type Target struct {
	// Ref is what was asked for (a branch, a tag or a commit).
	Ref string `json:"ref"`
	// Commit is the full commit id.
	Commit string `json:"commit"`
	// Branch is set when Ref named a branch of the remote.
	Branch string `json:"branch,omitempty"`
}

// OpenMirror opens (creating it on first use) the mirror of remote under
// dir: one bare repository per remote URL.
func OpenMirror(ctx context.Context, dir, remote string) (*Mirror, error) {
	if remote == "" {
		return nil, fmt.Errorf("no git remote for the project: %w", errdefs.ErrInvalidArgument)
	}
	sum := sha256.Sum256([]byte(remote))
	m := &Mirror{Dir: filepath.Join(dir, hex.EncodeToString(sum[:8])+".git"), Remote: remote}
	if _, err := os.Stat(filepath.Join(m.Dir, "HEAD")); err == nil {
		return m, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(dir, "new-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if _, err := git(ctx, "", "init", "--bare", "-q", tmp); err != nil {
		return nil, err
	}
	// Workspaces fetch commits by id from the mirror.
	if _, err := git(ctx, tmp, "config", "uploadpack.allowAnySHA1InWant", "true"); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, m.Dir); err != nil && !os.IsExist(err) {
		if _, serr := os.Stat(filepath.Join(m.Dir, "HEAD")); serr != nil {
			return nil, err
		}
	}
	return m, nil
}

// Fetch brings the mirror up to date with the remote's branches and tags.
func (m *Mirror) Fetch(ctx context.Context) error {
	_, err := git(ctx, m.Dir, "fetch", "--quiet", "--prune", "--force", m.Remote, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
	if err != nil {
		return fmt.Errorf("fetching %s: %w", m.Remote, err)
	}
	return nil
}

var hexID = regexp.MustCompile(`^[0-9a-f]{4,64}$`)

// Resolve fetches the remote and resolves ref: a branch, a tag, or a
// commit (full or abbreviated id) the remote has. Anything else is
// errdefs.ErrNotFound, before anything is started.
func (m *Mirror) Resolve(ctx context.Context, ref string) (Target, error) {
	if ref == "" || strings.HasPrefix(ref, "-") {
		return Target{}, fmt.Errorf("ref %q: %w", ref, errdefs.ErrInvalidArgument)
	}
	if err := m.Fetch(ctx); err != nil {
		return Target{}, err
	}
	t := Target{Ref: ref}
	branch := strings.TrimPrefix(ref, "refs/heads/")
	if id, err := m.commit(ctx, "refs/heads/"+branch); err == nil {
		t.Commit, t.Branch = id, branch
		return t, nil
	}
	if id, err := m.commit(ctx, "refs/tags/"+strings.TrimPrefix(ref, "refs/tags/")); err == nil {
		t.Commit = id
		return t, nil
	}
	if hexID.MatchString(ref) {
		if id, err := m.commit(ctx, ref); err == nil && m.reachable(ctx, id) {
			t.Commit = id
			return t, nil
		}
		// A commit no branch or tag reaches yet: ask the remote for it.
		if _, err := git(ctx, m.Dir, "fetch", "--quiet", m.Remote, ref); err == nil {
			if id, err := m.commit(ctx, ref); err == nil {
				t.Commit = id
				return t, nil
			}
		}
	}
	return Target{}, fmt.Errorf("%s has no branch, tag or commit %q: %w", m.Remote, ref, errdefs.ErrNotFound)
}

// commit resolves rev to a commit id in the mirror.
func (m *Mirror) commit(ctx context.Context, rev string) (string, error) {
	out, err := git(ctx, m.Dir, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	return strings.TrimSpace(out), err
}

// reachable reports whether a branch or tag of the remote reaches id (a
// commit left in the mirror from an old fetch may be gone from the remote).
func (m *Mirror) reachable(ctx context.Context, id string) bool {
	out, err := git(ctx, m.Dir, "for-each-ref", "--count=1", "--contains", id, "--format=%(refname)")
	return err == nil && strings.TrimSpace(out) != ""
}

// Has reports whether the mirror has commit id.
func (m *Mirror) Has(ctx context.Context, id string) bool {
	if id == "" {
		return false
	}
	_, err := m.commit(ctx, id)
	return err == nil
}

// Behind counts the commits in to that from lacks (from..to).
func (m *Mirror) Behind(ctx context.Context, from, to string) (int, error) {
	out, err := git(ctx, m.Dir, "rev-list", "--count", from+".."+to)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(out))
}

// Changed lists the paths whose content differs between two commits (both
// in the mirror).
func (m *Mirror) Changed(ctx context.Context, from, to string) ([]string, error) {
	out, err := git(ctx, m.Dir, "diff", "--name-only", "--no-renames", "-z", from, to)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, p := range strings.Split(out, "\x00") {
		if p != "" {
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// Clone checks t out into dir (created) as a new checkout whose origin is
// the project's remote: the workspace of a start from scratch or of a
// prebuild at that commit.
func (m *Mirror) Clone(ctx context.Context, dir string, t Target) error {
	if _, err := git(ctx, "", "clone", "--quiet", "--no-checkout", m.Dir, dir); err != nil {
		return err
	}
	if _, err := git(ctx, dir, "remote", "set-url", "origin", m.Remote); err != nil {
		return err
	}
	return checkout(ctx, dir, t)
}

// checkout moves the checkout at dir to t: a branch is (re)set to the
// commit, else HEAD is detached at it. Tracked files become t's (changes to
// them are discarded); untracked and ignored files stay.
func checkout(ctx context.Context, dir string, t Target) error {
	args := []string{"checkout", "--quiet", "--force"}
	if t.Branch != "" {
		args = append(args, "-B", t.Branch, t.Commit)
	} else {
		args = append(args, "--detach", t.Commit)
	}
	_, err := git(ctx, dir, args...)
	return err
}

// ReadFile reads a file of a commit in the mirror (path relative to the
// repository's root).
func (m *Mirror) ReadFile(ctx context.Context, commit, path string) ([]byte, error) {
	out, err := git(ctx, m.Dir, "show", commit+":"+filepath.ToSlash(path))
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w: %w", path, commit, err, errdefs.ErrNotFound)
	}
	return []byte(out), nil
}

// Origin is the URL of the origin remote of the checkout at dir.
func Origin(ctx context.Context, dir string) (string, error) {
	out, err := git(ctx, dir, "remote", "get-url", "origin")
	if err != nil {
		return "", fmt.Errorf("the workspace folder %s has no origin remote (use --remote): %w", dir, err)
	}
	return strings.TrimSpace(out), nil
}
