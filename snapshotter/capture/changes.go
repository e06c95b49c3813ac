//go:build linux

package capture

import (
	"context"
	"errors"
	"io"

	"github.com/containerd/containerd/v2/pkg/archive"
	"github.com/containerd/continuity/fs"
)

// writeChanges writes the OCI layer tar of the upper directory's changes
// against the lower view at lower: overlayfs whiteouts (0/0 character
// devices) become .wh.<name> entries and opaque directories
// (trusted.overlay.opaque=y) a .wh..wh..opq entry. Only the upper directory
// is walked; lower is only stat'ed for the paths that changed. Extended
// attributes other than security.capability are added later (route).
func writeChanges(ctx context.Context, lower, upper string, w io.Writer) error {
	cw := archive.NewChangeWriter(w, upper)
	err := fs.DiffDirChanges(ctx, lower, upper, fs.DiffSourceOverlayFS, cw.HandleChange)
	return errors.Join(err, cw.Close())
}
