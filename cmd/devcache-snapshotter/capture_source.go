package main

import (
	"context"
	"errors"
	"fmt"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/snapshots/proxy"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/devcache/devcache/snapshotter/capture"
)

// resolveSource finds the overlay directories to capture, and the
// container's image when it is known. With --container and --pause, a
// running task is paused until release is called.
func resolveSource(ctx context.Context, o captureOptions) (_ capture.Source, image string, release func() error, err error) {
	release = func() error { return nil }
	switch {
	case o.upperdir != "":
		return capture.Source{UpperDir: o.upperdir, LowerDirs: o.lowerdirs}, "", release, nil
	case o.container != "":
		client, err := containerd.New(o.containerdAddress, containerd.WithDefaultNamespace(o.namespace))
		if err != nil {
			return capture.Source{}, "", release, err
		}
		ctx = namespaces.WithNamespace(ctx, o.namespace)
		c, err := client.LoadContainer(ctx, o.container)
		if err != nil {
			return capture.Source{}, "", release, errors.Join(err, client.Close())
		}
		info, err := c.Info(ctx)
		if err != nil {
			return capture.Source{}, "", release, errors.Join(err, client.Close())
		}
		mounts, err := client.SnapshotService(info.Snapshotter).Mounts(ctx, info.SnapshotKey)
		if err != nil {
			return capture.Source{}, "", release, errors.Join(fmt.Errorf("mounts of %s: %w", info.SnapshotKey, err), client.Close())
		}
		src, err := capture.SourceFromMounts(mounts)
		if err != nil {
			return capture.Source{}, "", release, errors.Join(err, client.Close())
		}
		resume, err := pause(ctx, c, o.pause)
		if err != nil {
			return capture.Source{}, "", release, errors.Join(err, client.Close())
		}
		return src, info.Image, func() error { return errors.Join(resume(), client.Close()) }, nil
	case o.snapshotKey != "":
		conn, err := grpc.NewClient("unix://"+o.pluginAddress, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return capture.Source{}, "", release, err
		}
		defer conn.Close()
		sn := proxy.NewSnapshotter(snapshotsapi.NewSnapshotsClient(conn), "devcache")
		mounts, err := sn.Mounts(ctx, o.snapshotKey)
		if err != nil {
			return capture.Source{}, "", release, fmt.Errorf("mounts of %s: %w", o.snapshotKey, err)
		}
		src, err := capture.SourceFromMounts(mounts)
		return src, "", release, err
	default:
		return capture.Source{}, "", release, fmt.Errorf("one of --container, --snapshot-key or --upperdir is required")
	}
}

// pause pauses the container's running task (when enabled) so its
// filesystem holds still while it is read; the returned func resumes it.
func pause(ctx context.Context, c containerd.Container, enabled bool) (resume func() error, err error) {
	resume = func() error { return nil }
	if !enabled {
		return resume, nil
	}
	task, err := c.Task(ctx, nil)
	if errdefs.IsNotFound(err) {
		return resume, nil // no task: nothing runs
	}
	if err != nil {
		return resume, err
	}
	st, err := task.Status(ctx)
	if err != nil {
		return resume, err
	}
	if st.Status != containerd.Running {
		return resume, nil
	}
	if err := task.Pause(ctx); err != nil {
		return resume, fmt.Errorf("pausing %s: %w", c.ID(), err)
	}
	return func() error { return task.Resume(context.WithoutCancel(ctx)) }, nil
}
