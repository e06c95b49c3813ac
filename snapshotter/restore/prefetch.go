//go:build linux

package restore

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/snapshotter/prefetch"
)

// Prefetch limits: files read at once, and how long a layer's prefetch may
// take before it gives way to the background fetch.
const (
	prefetchWorkers = 8
	prefetchTimeout = 5 * time.Minute
)

// prefetch reads, through the lazy mount at mountpoint, the files of the
// prefetch list at ref that this layer holds, several at once, so their
// chunks are fetched (and verified) before the environment asks for them.
// Files of other layers are not in this one and are skipped; errors only
// cost the head start, as the environment's reads fetch on demand anyway.
func (l *Lazy) prefetch(ctx context.Context, mountpoint, ref string) {
	ctx, cancel := context.WithTimeout(ctx, prefetchTimeout)
	defer cancel()
	lg := log.G(ctx).With("mountpoint", mountpoint, "prefetch", ref)
	start := time.Now()
	list, err := prefetch.Fetch(ctx, ref, l.opts.remote()...)
	if err != nil {
		lg.Warn("prefetch list unavailable, the layer is fetched on demand", "error", err)
		l.opts.metrics.Prefetched(false, 0, 0, 0)
		return
	}
	files := make(chan string)
	var (
		wg           sync.WaitGroup
		nFiles, size atomic.Int64
	)
	for range prefetchWorkers {
		wg.Go(func() {
			for f := range files {
				if n, ok := readThrough(filepath.Join(mountpoint, f)); ok {
					nFiles.Add(1)
					size.Add(n)
				}
			}
		})
	}
	for _, f := range list.Files {
		select {
		case files <- f:
		case <-ctx.Done():
		}
	}
	close(files)
	wg.Wait()
	l.opts.metrics.Prefetched(true, nFiles.Load(), size.Load(), time.Since(start).Seconds())
	lg.Info("prefetched the listed files", "files", nFiles.Load(), "bytes", size.Load(), "listed", len(list.Files), "seconds", time.Since(start).Seconds())
}

// readThrough reads a regular file to the end (discarding it); ok is false
// for anything else.
func readThrough(p string) (int64, bool) {
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	f, err := os.Open(p)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	n, err := io.Copy(io.Discard, f)
	return n, err == nil
}
