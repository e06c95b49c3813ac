//go:build !linux

package prefetch

import (
	"fmt"

	"github.com/containerd/errdefs"
)

// Recorder collects the paths opened in one mount (Linux only).
type Recorder struct{}

// Record needs fanotify, which only Linux has.
func Record(string) (*Recorder, error) {
	return nil, fmt.Errorf("recording opened files needs fanotify (Linux): %w", errdefs.ErrNotImplemented)
}

// Stop returns nothing.
func (*Recorder) Stop() ([]string, error) { return nil, nil }
