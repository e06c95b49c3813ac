//go:build linux

package capture

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/v2/pkg/archive"
	"github.com/containerd/continuity/fs"
)

// Workspace is a folder that lives outside the container's rootfs (a bind
// mount such as /workspaces/<repo>) and is captured as a layer of its own.
type Workspace struct {
	// Path is where the folder is in the environment (absolute).
	Path string
	// Dir is the folder on the host.
	Dir string
}

// writeWorkspace writes a layer tar holding ws.Dir at ws.Path: the parent
// directories of Path (0755 root), then the folder's tree.
func writeWorkspace(ctx context.Context, ws Workspace, w io.Writer) error {
	if !path.IsAbs(ws.Path) {
		return fmt.Errorf("workspace path %q is not absolute", ws.Path)
	}
	prefix := cleanName(ws.Path)
	pr, pw := io.Pipe()
	go func() {
		cw := archive.NewChangeWriter(pw, ws.Dir)
		err := filepath.Walk(ws.Dir, func(p string, fi os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			rel, err := filepath.Rel(ws.Dir, p)
			if err != nil || rel == "." {
				return err
			}
			return cw.HandleChange(fs.ChangeKindAdd, "/"+rel, fi, nil)
		})
		if err == nil {
			err = cw.Close()
		}
		pw.CloseWithError(err)
	}()
	tw := tar.NewWriter(w)
	parts := strings.Split(prefix, "/")
	for i := range parts {
		h := &tar.Header{Typeflag: tar.TypeDir, Name: strings.Join(parts[:i+1], "/") + "/", Mode: 0o755, Format: tar.FormatPAX}
		if i == len(parts)-1 {
			fi, err := os.Lstat(ws.Dir)
			if err != nil {
				_ = pr.CloseWithError(err)
				return err
			}
			if h, err = tar.FileInfoHeader(fi, ""); err != nil {
				_ = pr.CloseWithError(err)
				return err
			}
			h.Name, h.Format, h.Uname, h.Gname = prefix+"/", tar.FormatPAX, "", ""
		}
		if err := tw.WriteHeader(h); err != nil {
			_ = pr.CloseWithError(err)
			return err
		}
	}
	// The directory entries above carry no data: the tree follows them
	// in the same archive.
	if err := tw.Flush(); err != nil {
		_ = pr.CloseWithError(err)
		return err
	}
	err := copyWithXattrs(pr, w, ws.Dir, func(n string) string { return prefix + "/" + n })
	_ = pr.CloseWithError(err)
	return err
}

// cleanName turns an absolute path into a layer entry name.
func cleanName(n string) string {
	return strings.TrimPrefix(path.Clean("/"+n), "/")
}
