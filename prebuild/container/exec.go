package container

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/containerd/containerd/v2/pkg/cio"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/devcache/devcache/prebuild/lifecycle"
)

var execSeq atomic.Uint64

var _ lifecycle.Executor = (*Container)(nil)

// Exec implements lifecycle.Executor: p runs in the container with the
// image's environment plus p.Env, as p.User (else the image's user). Ending ctx kills it.
func (c *Container) Exec(ctx context.Context, p lifecycle.Process) (int, error) {
	if c.task == nil {
		return -1, fmt.Errorf("container %s is not running", c.ID())
	}
	spec, err := c.c.Spec(ctx)
	if err != nil {
		return -1, err
	}
	pspec := *spec.Process
	pspec.Terminal = false
	pspec.Args = p.Args
	pspec.Env = lifecycle.MergeEnv(c.env, p.Env)
	if p.Dir != "" {
		pspec.Cwd = p.Dir
	}
	if p.User != "" {
		u, err := c.resolveUser(ctx, p.User)
		if err != nil {
			return -1, err
		}
		pspec.User = specs.User{UID: u.uid, GID: u.gid}
		if u.home != "" {
			env := []string{"HOME=" + u.home, "USER=" + p.User}
			for _, e := range c.env {
				if !strings.HasPrefix(e, "HOME=") && !strings.HasPrefix(e, "USER=") {
					env = append(env, e)
				}
			}
			pspec.Env = lifecycle.MergeEnv(env, p.Env)
		}
	}
	id := fmt.Sprintf("exec-%d", execSeq.Add(1))
	out := &syncWriter{w: p.Output}
	proc, err := c.task.Exec(ctx, id, &pspec, cio.NewCreator(cio.WithStreams(nil, out, out)))
	if err != nil {
		return -1, fmt.Errorf("exec in %s: %w", c.ID(), err)
	}
	defer func() { _, _ = proc.Delete(context.WithoutCancel(ctx)) }()
	statusC, err := proc.Wait(context.WithoutCancel(ctx))
	if err != nil {
		return -1, err
	}
	if err := proc.Start(ctx); err != nil {
		return -1, fmt.Errorf("exec %q in %s: %w", p.Args, c.ID(), err)
	}
	select {
	case st := <-statusC:
		proc.IO().Wait()
		code, _, err := st.Result()
		return int(code), err
	case <-ctx.Done():
		_ = proc.Kill(context.WithoutCancel(ctx), syscall.SIGKILL)
		select {
		case <-statusC:
		case <-time.After(10 * time.Second):
		}
		return -1, context.Cause(ctx)
	}
}

// syncWriter serializes the stdout and stderr copies into one writer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}
