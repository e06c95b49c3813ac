package automations

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild/lifecycle"
)

// Runner runs a Plan with a lifecycle.Runner (tasks and services run in the
// container, through its container executor).
type Runner struct {
	Lifecycle *lifecycle.Runner
	// ReadyTimeout bounds the wait for a service's ready command (default 5
	// minutes); ReadyInterval is the polling interval (default 1 s).
	ReadyTimeout, ReadyInterval time.Duration
	// StopGrace is how long a service may take to exit after its stop
	// command before it is killed (default 10 s).
	StopGrace time.Duration
	// Done receives each step's result (tasks, service start/ready/stop);
	// calls are serialized (a service's start ends concurrently).
	Done func(lifecycle.Result)

	mu sync.Mutex
}

// Run runs p: services up and ready, tasks, services down, beforeSnapshot
// tasks. It stops at the first failure (services are stopped either way).
func (r *Runner) Run(ctx context.Context, f *File, p Plan) (err error) {
	stop, err := r.startServices(ctx, f, p.Services)
	defer func() { err = errors.Join(err, stop()) }()
	if err != nil {
		return err
	}
	if err := r.tasks(ctx, f, p.Tasks); err != nil {
		return err
	}
	if err := stop(); err != nil {
		return err
	}
	stop = func() error { return nil }
	return r.tasks(ctx, f, p.BeforeSnapshot)
}

func (r *Runner) tasks(ctx context.Context, f *File, ids []string) error {
	for _, id := range ids {
		if err := r.step(ctx, "task "+id, f.Tasks[id].Command); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) step(ctx context.Context, name, shell string) error {
	res, err := r.Lifecycle.Run(ctx, lifecycle.Step{Hook: lifecycle.Automation, Source: name, Command: lifecycle.Command{Shell: shell}})
	r.done(res)
	return err
}

type running struct {
	id     string
	cancel context.CancelFunc
	exited chan error
}

// startServices starts every service, then waits for each to be ready. The
// returned stop stops those that were started, in reverse order.
func (r *Runner) startServices(ctx context.Context, f *File, ids []string) (stop func() error, err error) {
	var started []running
	stop = func() error {
		var errs []error
		for i := len(started) - 1; i >= 0; i-- {
			s := started[i]
			if cmd := f.Services[s.id].Commands.Stop; cmd != "" {
				errs = append(errs, r.step(context.WithoutCancel(ctx), "service "+s.id+" stop", cmd))
				// Give the service its grace period to exit on its own.
				select {
				case err := <-s.exited:
					s.exited <- err
				case <-time.After(r.stopGrace()):
				}
			}
			s.cancel()
			select {
			case exitErr := <-s.exited:
				_ = exitErr // how it exited does not matter once stopped
			case <-time.After(30 * time.Second):
				errs = append(errs, fmt.Errorf("service %s did not stop", s.id))
			}
		}
		started = nil
		return errors.Join(errs...)
	}
	for _, id := range ids {
		sctx, cancel := context.WithCancel(ctx)
		s := running{id: id, cancel: cancel, exited: make(chan error, 1)}
		go func() { s.exited <- r.step(sctx, "service "+id+" start", f.Services[id].Commands.Start) }()
		started = append(started, s)
		log.G(ctx).Info("started service", "service", id)
	}
	for _, s := range started {
		if err := r.waitReady(ctx, f, s); err != nil {
			return stop, err
		}
	}
	return stop, nil
}

func (r *Runner) waitReady(ctx context.Context, f *File, s running) error {
	cmd := f.Services[s.id].Commands.Ready
	if cmd == "" {
		return nil
	}
	timeout, interval := r.ReadyTimeout, r.ReadyInterval
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	if interval == 0 {
		interval = time.Second
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		res, err := r.Lifecycle.Run(ctx, lifecycle.Step{Hook: lifecycle.Automation, Source: "service " + s.id + " ready", Command: lifecycle.Command{Shell: cmd}})
		if err == nil {
			r.done(res)
			log.G(ctx).Info("service ready", "service", s.id)
			return nil
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			return fmt.Errorf("service %s exited before it was ready: %w", s.id, err)
		case <-deadline.C:
			return fmt.Errorf("service %s not ready after %s (last check: %s)", s.id, timeout, res.Output)
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(interval):
		}
	}
}

func (r *Runner) stopGrace() time.Duration {
	if r.StopGrace == 0 {
		return 10 * time.Second
	}
	return r.StopGrace
}

func (r *Runner) done(res lifecycle.Result) {
	if r.Done == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Done(res)
}
