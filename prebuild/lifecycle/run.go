package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Runner runs lifecycle steps where the spec says they run.
type Runner struct {
	// Host runs initializeCommand in HostDir (the workspace folder).
	Host    Executor
	HostDir string
	// Container runs the other hooks in ContainerDir (the workspace folder
	// as the container sees it).
	Container    Executor
	ContainerDir string
	// User runs the container commands (remoteUser, see RemoteUser).
	User string
	// Env is added to every process (secrets' Env, remoteEnv).
	Env []string
	// Log, when set, receives the output as it is produced.
	Log io.Writer
}

// Result is what a step did.
type Result struct {
	Step     Step
	Output   string
	ExitCode int
	Duration time.Duration
	// Err is set when the step failed (non-zero exit, or could not run).
	Err error
}

// Run runs one step. A failed step returns its Result and a non-nil error.
func (r *Runner) Run(ctx context.Context, s Step) (Result, error) {
	ex, dir, user := r.Container, r.ContainerDir, r.User
	if s.Hook.OnHost() {
		ex, dir, user = r.Host, r.HostDir, ""
	}
	if ex == nil {
		return Result{Step: s}, fmt.Errorf("%s: no executor", s.Name())
	}
	start := time.Now()
	var out lockedBuffer
	res := Result{Step: s}
	if len(s.Command.Parallel) == 0 {
		res.ExitCode, res.Err = r.exec(ctx, ex, dir, user, s.Command, &out, "")
	} else {
		res.ExitCode, res.Err = r.parallel(ctx, ex, dir, user, s.Command, &out)
	}
	res.Output, res.Duration = out.String(), time.Since(start)
	if res.Err == nil && res.ExitCode != 0 {
		res.Err = fmt.Errorf("%s exited with %d", s.Name(), res.ExitCode)
	} else if res.Err != nil {
		res.Err = fmt.Errorf("%s: %w", s.Name(), res.Err)
	}
	return res, res.Err
}

// RunAll runs the steps in order and stops at the first failure.
func (r *Runner) RunAll(ctx context.Context, steps []Step, done func(Result)) error {
	for _, s := range steps {
		res, err := r.Run(ctx, s)
		if done != nil {
			done(res)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// parallel runs the object form's entries concurrently; each line of output
// is prefixed with its entry's name.
func (r *Runner) parallel(ctx context.Context, ex Executor, dir, user string, c Command, out *lockedBuffer) (int, error) {
	type entryResult struct {
		name string
		code int
		err  error
	}
	names := c.Names()
	results := make([]entryResult, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, err := r.exec(ctx, ex, dir, user, c.Parallel[name], out, name)
			results[i] = entryResult{name, code, err}
		}()
	}
	wg.Wait()
	var errs []error
	code := 0
	for _, e := range results {
		switch {
		case e.err != nil:
			errs = append(errs, fmt.Errorf("entry %q: %w", e.name, e.err))
		case e.code != 0:
			errs = append(errs, fmt.Errorf("entry %q exited with %d", e.name, e.code))
			if code == 0 {
				code = e.code
			}
		}
	}
	return code, errors.Join(errs...)
}

func (r *Runner) exec(ctx context.Context, ex Executor, dir, user string, c Command, out *lockedBuffer, prefix string) (int, error) {
	var w io.Writer = out
	if r.Log != nil {
		w = io.MultiWriter(out, r.Log)
	}
	pw := &prefixWriter{w: w, prefix: prefix}
	code, err := ex.Exec(ctx, Process{Args: c.Argv(), Env: r.Env, Dir: dir, User: user, Output: pw})
	pw.flush()
	return code, err
}

// lockedBuffer is a bytes.Buffer safe for the parallel entries.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// prefixWriter writes whole lines, each prefixed with "[prefix] " when
// prefix is set, so parallel entries' outputs do not interleave mid-line.
type prefixWriter struct {
	w      io.Writer
	prefix string
	part   []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.part = append(p.part, b...)
	for {
		i := bytes.IndexByte(p.part, '\n')
		if i < 0 {
			return len(b), nil
		}
		if err := p.line(p.part[:i+1]); err != nil {
			return 0, err
		}
		p.part = p.part[i+1:]
	}
}

func (p *prefixWriter) line(l []byte) error {
	if p.prefix != "" {
		l = append([]byte("["+p.prefix+"] "), l...)
	}
	_, err := p.w.Write(l)
	return err
}

func (p *prefixWriter) flush() {
	if len(p.part) > 0 {
		_ = p.line(append(p.part, '\n'))
		p.part = nil
	}
}

// String names the command for logs.
func (c Command) String() string {
	switch {
	case len(c.Parallel) > 0:
		return "{" + strings.Join(c.Names(), ", ") + "}"
	case len(c.Args) > 0:
		return fmt.Sprintf("%q", c.Args)
	default:
		return c.Shell
	}
}
