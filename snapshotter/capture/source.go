//go:build linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/errdefs"
)

// Source is the overlay of a container's active snapshot.
type Source struct {
	// UpperDir holds the container's changes.
	UpperDir string
	// LowerDirs are the read-only layers below it, top first (overlayfs
	// lowerdir order). Empty for a container on an empty parent.
	LowerDirs []string
}

// SourceFromMounts reads the upper and lower directories from the mounts a
// snapshotter returns for an active snapshot (Mounts(key)): an overlay mount
// with upperdir= and lowerdir= options, or a single rw bind mount when the
// snapshot has no parent.
func SourceFromMounts(mounts []mount.Mount) (Source, error) {
	if len(mounts) != 1 {
		return Source{}, fmt.Errorf("want one mount, got %d: %w", len(mounts), errdefs.ErrInvalidArgument)
	}
	m := mounts[0]
	switch m.Type {
	case "overlay":
		var s Source
		for _, o := range m.Options {
			if v, ok := strings.CutPrefix(o, "upperdir="); ok {
				s.UpperDir = v
			} else if v, ok := strings.CutPrefix(o, "lowerdir="); ok {
				s.LowerDirs = strings.Split(v, ":")
			}
		}
		if s.UpperDir == "" {
			return Source{}, fmt.Errorf("overlay mount has no upperdir (not an active snapshot): %w", errdefs.ErrInvalidArgument)
		}
		return s, nil
	case "bind":
		for _, o := range m.Options {
			if o == "ro" {
				return Source{}, fmt.Errorf("read-only bind mount is not an active snapshot: %w", errdefs.ErrInvalidArgument)
			}
		}
		return Source{UpperDir: m.Source}, nil
	default:
		return Source{}, fmt.Errorf("mount type %q is not overlayfs: %w", m.Type, errdefs.ErrNotImplemented)
	}
}

// withLowerView mounts the lower directories read-only on a temporary
// directory and calls fn with it (an empty directory when there are none).
// The upper directory diff needs it to tell additions from modifications and
// to drop whiteouts of files that never existed below.
func (s Source) withLowerView(ctx context.Context, tmp string, fn func(root string) error) (err error) {
	dir, err := os.MkdirTemp(tmp, "lower-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.Remove(dir)) }()
	var mounts []mount.Mount
	switch len(s.LowerDirs) {
	case 0:
		return fn(dir)
	case 1:
		mounts = []mount.Mount{{Type: "bind", Source: s.LowerDirs[0], Options: []string{"ro", "rbind"}}}
	default:
		mounts = []mount.Mount{{Type: "overlay", Source: "overlay", Options: []string{"lowerdir=" + strings.Join(s.LowerDirs, ":")}}}
	}
	return mount.WithReadonlyTempMount(ctx, mounts, fn)
}
