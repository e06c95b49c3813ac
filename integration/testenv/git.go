package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// GitServer is a git daemon on loopback (hack/git-server): a real remote
// that tests clone, push to and fetch from.
type GitServer struct {
	// Root is the daemon's base path: bare repositories made there are
	// served.
	Root string
	// URL is git://127.0.0.1:PORT; a repository is URL + "/" + name.
	URL string
}

var (
	gitOnce sync.Once
	gitSrv  *GitServer
	gitErr  error
	gitOut  string
)

// GitServer starts the stack's git daemon (hack/git-server up, once per test
// binary; a running one is reused) and returns it.
func (s *Stack) GitServer(tb testing.TB) *GitServer {
	tb.Helper()
	gitOnce.Do(func() {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(filepath.Join(s.RepoRoot, "hack", "git-server"), "up")
		cmd.Env = s.Env()
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		gitErr, gitOut = cmd.Run(), stderr.String()
		vars := parseExports(stdout.Bytes())
		gitSrv = &GitServer{Root: vars["DEVCACHE_GIT_ROOT"], URL: vars["DEVCACHE_GIT_URL"]}
	})
	if gitErr != nil || gitSrv.Root == "" || gitSrv.URL == "" {
		tb.Fatalf("hack/git-server up: %v\n%s", gitErr, gitOut)
	}
	return gitSrv
}

// NewRepo makes an empty bare repository (default branch main) served by
// the daemon and returns its URL.
func (g *GitServer) NewRepo(tb testing.TB, name string) string {
	tb.Helper()
	dir := filepath.Join(g.Root, name+".git")
	_ = os.RemoveAll(dir)
	Git(tb, "", "init", "-q", "--bare", "-b", "main", dir)
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	return g.URL + "/" + name + ".git"
}

// Git runs git in dir (as a test author, no prompts) and returns its
// trimmed output; a failure fails the test.
func Git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	full := append([]string{"-c", "user.name=devcache-test", "-c", "user.email=test@devcache.invalid", "-c", "init.defaultBranch=main"}, args...)
	if dir != "" {
		full = append([]string{"-C", dir}, full...)
	}
	cmd := exec.Command("git", full...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
