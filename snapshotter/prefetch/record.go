//go:build linux

package prefetch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Recorder collects the paths opened in one mount, from fanotify events.
type Recorder struct {
	f     *os.File
	root  string
	done  chan struct{}
	mu    sync.Mutex
	seen  map[string]bool
	paths []string
	err   error
}

// Record starts recording the files opened in the mount that path resolves
// to: /proc/<pid>/root of a container's first process names the container's
// root filesystem even in its own mount namespace. Paths are reported as the
// container sees them (absolute, under its root). It needs CAP_SYS_ADMIN.
func Record(path string) (*Recorder, error) {
	fd, err := unix.FanotifyInit(unix.FAN_CLASS_NOTIF|unix.FAN_CLOEXEC|unix.FAN_NONBLOCK, unix.O_RDONLY|unix.O_LARGEFILE|unix.O_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("fanotify_init: %w", err)
	}
	if err := unix.FanotifyMark(fd, unix.FAN_MARK_ADD|unix.FAN_MARK_MOUNT, unix.FAN_OPEN|unix.FAN_OPEN_EXEC, unix.AT_FDCWD, path); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("fanotify_mark %s: %w", path, err)
	}
	root, err := os.Readlink(path)
	if err != nil || root == "" {
		root = "/"
	}
	// A non-blocking descriptor in Go's poller: Stop's Close ends a pending Read.
	r := &Recorder{f: os.NewFile(uintptr(fd), "fanotify"), root: strings.TrimSuffix(root, "/"), done: make(chan struct{}), seen: map[string]bool{}}
	go r.loop()
	return r, nil
}

func (r *Recorder) loop() {
	defer close(r.done)
	buf := make([]byte, 64<<10)
	meta := int(unsafe.Sizeof(unix.FanotifyEventMetadata{}))
	for {
		n, err := r.f.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				r.fail(err)
			}
			return
		}
		if n <= 0 {
			return
		}
		for off := 0; off+meta <= n; {
			var ev unix.FanotifyEventMetadata
			if err := binary.Read(bytes.NewReader(buf[off:off+meta]), binary.NativeEndian, &ev); err != nil {
				r.fail(err)
				return
			}
			if ev.Vers != unix.FANOTIFY_METADATA_VERSION {
				r.fail(fmt.Errorf("fanotify metadata version %d", ev.Vers))
				return
			}
			if ev.Fd >= 0 {
				if p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(ev.Fd))); err == nil {
					r.add(p)
				}
				_ = unix.Close(int(ev.Fd))
			}
			if ev.Event_len < uint32(meta) {
				return
			}
			off += int(ev.Event_len)
		}
	}
}

func (r *Recorder) add(p string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.root != "" && strings.HasPrefix(p, r.root+"/") {
		p = strings.TrimPrefix(p, r.root)
	}
	if r.seen[p] {
		return
	}
	r.seen[p] = true
	r.paths = append(r.paths, p)
}

func (r *Recorder) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

// Stop ends the recording and returns the paths opened, in the order of
// their first open.
func (r *Recorder) Stop() ([]string, error) {
	_ = r.f.Close() // ends the read loop
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.paths), r.err
}
