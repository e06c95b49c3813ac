package trigger

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/devcache/devcache/internal/log"
)

// LsRemote lists a remote's branches (name → commit) with git ls-remote.
func LsRemote(ctx context.Context, remote string) (map[string]string, error) {
	cmd := exec.CommandContext(ctx, "git", "ls-remote", "--heads", "--", remote)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return nil, fmt.Errorf("git ls-remote %s: %w: %s", remote, err, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Errorf("git ls-remote %s: %w", remote, err)
	}
	heads := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		commit, ref, ok := strings.Cut(sc.Text(), "\t")
		if branch, isHead := strings.CutPrefix(ref, "refs/heads/"); ok && isHead {
			heads[branch] = commit
		}
	}
	return heads, nil
}

// Poller asks the remotes of projects with poll = true for their branches
// every Interval and reports each branch whose commit changed as a push.
// The first answer is the baseline (no pushes).
type Poller struct {
	Projects []Project
	Interval time.Duration
	Push     func(Push)
	// List is the remote lister (default LsRemote).
	List func(ctx context.Context, remote string) (map[string]string, error)

	seen map[string]map[string]string
}

// Serve polls until ctx ends.
func (p *Poller) Serve(ctx context.Context) error {
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	for {
		p.Poll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Poll asks every polled remote once.
func (p *Poller) Poll(ctx context.Context) {
	if p.seen == nil {
		p.seen = map[string]map[string]string{}
	}
	list := p.List
	if list == nil {
		list = LsRemote
	}
	for _, pr := range p.Projects {
		if !pr.Poll {
			continue
		}
		heads, err := list(ctx, pr.Remote)
		if err != nil {
			log.G(ctx).Warn("polling the remote", "project", pr.ID, "error", err)
			continue
		}
		prev, known := p.seen[pr.ID]
		p.seen[pr.ID] = heads
		if !known {
			continue
		}
		for branch, commit := range heads {
			if prev[branch] != commit && pr.Wants(branch) {
				p.Push(Push{Project: pr.ID, Branch: branch, Commit: commit, Source: "poll", At: time.Now()})
			}
		}
	}
}
