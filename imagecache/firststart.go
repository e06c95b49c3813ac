package imagecache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/registry"
	"github.com/devcache/devcache/snapshotter/prefetch"
)

// FirstStart is the environment's first command, run with its reads recorded.
type FirstStart struct {
	// Output is the command's stdout and stderr.
	Output []byte
	// Files are the files it opened, in order (prefetch.Clean'ed).
	Files []string
	// Took is the command's run time.
	Took time.Duration
}

// RecordFirstStart runs args in a new container of image (already in the
// runtime) and records, with fanotify on the container's root filesystem,
// the files it opens: the prefetch list of the image. The container is
// created, watched, then started, so nothing it reads is missed.
func (c *Containerd) RecordFirstStart(ctx context.Context, image string, args []string) (*FirstStart, error) {
	ctx = namespaces.WithNamespace(ctx, c.Namespace)
	img, err := c.Client.GetImage(ctx, image)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", image, err)
	}
	id := fmt.Sprintf("devcache-first-start-%d", time.Now().UnixNano())
	ctr, err := c.Client.NewContainer(ctx, id,
		containerd.WithImage(img), containerd.WithSnapshotter(c.snapshotterName()), containerd.WithNewSnapshot(id, img),
		containerd.WithNewSpec(oci.WithImageConfig(img), oci.WithProcessArgs(args...)))
	if err != nil {
		return nil, fmt.Errorf("container of %s: %w", image, err)
	}
	cleanup := context.WithoutCancel(ctx)
	defer func() { _ = ctr.Delete(cleanup, containerd.WithSnapshotCleanup) }()
	var out lockedBuffer // stdout and stderr are copied by two goroutines
	task, err := ctr.NewTask(ctx, cio.NewCreator(cio.WithStreams(nil, &out, &out)))
	if err != nil {
		return nil, fmt.Errorf("task of %s: %w", image, err)
	}
	deleted := false
	defer func() {
		if !deleted {
			_, _ = task.Delete(cleanup, containerd.WithProcessKill)
		}
	}()
	rec, err := prefetch.Record(fmt.Sprintf("/proc/%d/root", task.Pid()))
	if err != nil {
		return nil, fmt.Errorf("recording the first start: %w", err)
	}
	exited, err := task.Wait(ctx)
	if err != nil {
		_, _ = rec.Stop()
		return nil, err
	}
	start := time.Now()
	if err := task.Start(ctx); err != nil {
		_, _ = rec.Stop()
		return nil, fmt.Errorf("starting %v: %w", args, err)
	}
	var st containerd.ExitStatus
	select {
	case st = <-exited:
	case <-ctx.Done():
		_, _ = rec.Stop()
		return nil, ctx.Err()
	}
	took := time.Since(start)
	files, rerr := rec.Stop()
	code, _, err := st.Result()
	// Delete waits for the output to be copied; read it only then.
	deleted = true
	if _, derr := task.Delete(cleanup); derr != nil {
		err = errors.Join(err, fmt.Errorf("deleting the task of %s: %w", image, derr))
	}
	fs := &FirstStart{Output: out.Bytes(), Files: prefetch.Clean(files), Took: took}
	if err = errors.Join(err, rerr); err != nil {
		return fs, err
	}
	if code != 0 {
		return fs, fmt.Errorf("%v exited with %d: %s", args, code, bytes.TrimSpace(out.Bytes()))
	}
	return fs, nil
}

// SavePrefetch stores files as the prefetch list of the cached image ref
// (<key>-prefetch), with create credentials of project: later lazy starts
// of the image fetch them first. It returns the list's digest reference.
func (c *Cache) SavePrefetch(ctx context.Context, project, ref string, files []string) (string, error) {
	creds, err := c.Credentials.Issue(ctx, project, contract.PurposeCreate)
	if err != nil {
		return "", err
	}
	return prefetch.Push(ctx, ref, prefetch.List{Files: files}, registry.Options{Insecure: c.Insecure, Auth: basicAuth(creds)})
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}
