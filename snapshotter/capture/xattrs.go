//go:build linux

package capture

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/continuity/sysx"
	"golang.org/x/sys/unix"
)

const paxSchilyXattr = "SCHILY.xattr."

// copyWithXattrs copies the layer tar r to w, adding to every entry the
// extended attributes of root/<name>. containerd's ChangeWriter keeps only
// security.capability; a prebuild must keep user.* and the rest too.
// overlayfs' own trusted.overlay.* attributes are never copied (opaque
// directories are already .wh..wh..opq entries). rename maps an entry name
// to the name written (nil keeps it).
func copyWithXattrs(r io.Reader, w io.Writer, root string, rename func(string) string) error {
	tr := tar.NewReader(r)
	tw := tar.NewWriter(w)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return tw.Close()
		}
		if err != nil {
			return err
		}
		if err := addXattrs(h, filepath.Join(root, h.Name)); err != nil { //nolint:gosec // G305: names come from our own walk of root
			return err
		}
		if rename != nil {
			h.Name = rename(h.Name)
			if h.Typeflag == tar.TypeLink {
				h.Linkname = rename(h.Linkname)
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil { //nolint:gosec // G110: our own tar stream
			return err
		}
	}
}

func addXattrs(h *tar.Header, path string) error {
	if strings.HasPrefix(filepath.Base(h.Name), ".wh.") {
		return nil // whiteouts have no file behind them
	}
	keys, err := sysx.LListxattr(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOTSUP) {
			return nil
		}
		return err
	}
	for _, k := range keys {
		if strings.HasPrefix(k, "trusted.overlay.") {
			continue
		}
		v, err := sysx.LGetxattr(path, k)
		if err != nil {
			if errors.Is(err, unix.ENODATA) {
				continue
			}
			return err
		}
		if h.PAXRecords == nil {
			h.PAXRecords = map[string]string{}
		}
		h.PAXRecords[paxSchilyXattr+k] = string(v)
		h.Format = tar.FormatPAX
	}
	return nil
}
