package container

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/containerd/errdefs"
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Root is the container's root filesystem as the host sees it, for host
// tools (git) that work on its files: the mount of the container's rootfs
// in this process's mount namespace (the runtime's bundle rootfs, e.g.
// <containerd state>/io.containerd.runtime.v2.task/<ns>/<id>/rootfs).
//
// /proc/<pid>/root is not enough: it reaches the files, but a process whose
// working directory is under it cannot read that directory's path (getcwd
// fails with ENOENT: the container's root is not reachable from the host's),
// and git starts with getcwd ("Unable to read current working directory").
// The mount is found by the device of /proc/<pid>/root and checked to be
// the same directory (device and inode).
func (c *Container) Root() (string, error) {
	if c.task == nil {
		return "", fmt.Errorf("container %s is not running: %w", c.ID(), errdefs.ErrFailedPrecondition)
	}
	return hostRoot(c.ID(), fmt.Sprintf("/proc/%d/root", c.task.Pid()))
}

// View is the container's file tree as its processes see it, its own mounts
// (the bind-mounted workspace) included: /proc/<pid>/root. Use it to read
// files; use Root for tools that need a working directory there.
func (c *Container) View() (string, error) {
	if c.task == nil {
		return "", fmt.Errorf("container %s is not running: %w", c.ID(), errdefs.ErrFailedPrecondition)
	}
	return fmt.Sprintf("/proc/%d/root", c.task.Pid()), nil
}

// hostRoot finds the mount point in this mount namespace of the file
// system whose root is procRoot (a process's /proc/<pid>/root).
func hostRoot(id, procRoot string) (string, error) {
	var want syscall.Stat_t
	if err := syscall.Stat(procRoot+"/", &want); err != nil {
		return "", fmt.Errorf("the root of container %s: %w", id, err)
	}
	major, minor := int(unix.Major(uint64(want.Dev))), int(unix.Minor(uint64(want.Dev))) //nolint:unconvert // Dev is not uint64 everywhere
	mounts, err := mountinfo.GetMounts(func(m *mountinfo.Info) (skip, stop bool) {
		return m.Major != major || m.Minor != minor || m.Root != "/", false
	})
	if err != nil {
		return "", fmt.Errorf("reading this process's mounts: %w", err)
	}
	// The bundle's rootfs first: another mount of the same file system
	// (none is expected) would do as well, once checked.
	suffix := "/" + id + "/rootfs"
	for i, m := range mounts {
		if strings.HasSuffix(m.Mountpoint, suffix) {
			mounts[0], mounts[i] = mounts[i], mounts[0]
			break
		}
	}
	for _, m := range mounts {
		var st syscall.Stat_t
		if err := syscall.Stat(m.Mountpoint, &st); err == nil && st.Dev == want.Dev && st.Ino == want.Ino {
			return m.Mountpoint, nil
		}
	}
	return "", fmt.Errorf("the root file system of container %s (device %d:%d) is not mounted in this process's mount namespace: devcache must run in containerd's mount namespace to work on the container's files: %w",
		id, major, minor, errdefs.ErrFailedPrecondition)
}
