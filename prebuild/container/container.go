package container

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/devcache/devcache/internal/log"
)

// keepAlive is the container's main process: it waits until stopped, so
// commands can be run in the container with Exec.
var keepAlive = []string{"/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"}

// Spec describes a container to start.
type Spec struct {
	ID          string
	Image       containerd.Image
	Snapshotter string
	// Mounts are bind mounts (workspace folder, secrets).
	Mounts []specs.Mount
	// HostNetwork shares the host's network (setup commands download).
	HostNetwork bool
}

// Container is a started container.
type Container struct {
	c    containerd.Container
	task containerd.Task
	env  []string

	mu    sync.Mutex
	users map[string]user
	// SnapshotKey is the container's active snapshot.
	SnapshotKey string
}

// Start creates the container with a fresh snapshot of the image and starts
// its keep-alive process.
func Start(ctx context.Context, client *containerd.Client, s Spec) (_ *Container, err error) {
	opts := []oci.SpecOpts{oci.WithImageConfig(s.Image), oci.WithProcessArgs(keepAlive...), oci.WithMounts(s.Mounts)}
	if s.HostNetwork {
		opts = append(opts, oci.WithHostNamespace(specs.NetworkNamespace), oci.WithHostResolvconf, oci.WithHostHostsFile)
	}
	key := s.ID + "-rootfs"
	c, err := client.NewContainer(ctx, s.ID,
		containerd.WithImage(s.Image),
		containerd.WithSnapshotter(s.Snapshotter),
		containerd.WithNewSnapshot(key, s.Image),
		containerd.WithNewSpec(opts...),
	)
	if err != nil {
		return nil, fmt.Errorf("creating container %s: %w", s.ID, err)
	}
	ctr := &Container{c: c, SnapshotKey: key, users: map[string]user{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, ctr.Remove(context.WithoutCancel(ctx)))
		}
	}()
	spec, err := c.Spec(ctx)
	if err != nil {
		return nil, err
	}
	ctr.env = spec.Process.Env
	if ctr.task, err = c.NewTask(ctx, cio.NullIO); err != nil {
		return nil, fmt.Errorf("creating task %s: %w", s.ID, err)
	}
	if err := ctr.task.Start(ctx); err != nil {
		return nil, fmt.Errorf("starting %s: %w", s.ID, err)
	}
	return ctr, nil
}

// ID is the container's id.
func (c *Container) ID() string { return c.c.ID() }

// Env is the image's environment, as the container's processes get it.
func (c *Container) Env() []string { return c.env }

// Stop stops the keep-alive process (SIGTERM, then SIGKILL after grace) and
// deletes the task; the container and its snapshot stay for the capture.
func (c *Container) Stop(ctx context.Context, grace time.Duration) error {
	if c.task == nil {
		return nil
	}
	task := c.task
	statusC, err := task.Wait(ctx)
	if err != nil {
		return err
	}
	if err := task.Kill(ctx, syscall.SIGTERM); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("stopping %s: %w", c.ID(), err)
	}
	select {
	case <-statusC:
	case <-time.After(grace):
		log.G(ctx).Warn("container did not stop, killing it", "container", c.ID(), "grace", grace)
		if err := task.Kill(ctx, syscall.SIGKILL, containerd.WithKillAll); err != nil && !errdefs.IsNotFound(err) {
			return err
		}
		<-statusC
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	if _, err := task.Delete(ctx); err != nil && !errdefs.IsNotFound(err) {
		return err
	}
	c.task = nil
	return nil
}

// Remove kills whatever still runs and deletes the container and its
// snapshot.
func (c *Container) Remove(ctx context.Context) error {
	var errs []error
	if c.task != nil {
		if _, err := c.task.Delete(ctx, containerd.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
		c.task = nil
	}
	if err := c.c.Delete(ctx, containerd.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("removing container %s: %w", c.ID(), err))
	}
	return errors.Join(errs...)
}
