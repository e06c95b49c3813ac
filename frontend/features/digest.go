package features

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	digest "github.com/opencontainers/go-digest"
)

// Entry is a directory entry as a FolderFS reports it.
type Entry struct {
	Name     string
	Mode     fs.FileMode
	Linkname string
}

// FolderFS is the read access FolderDigest needs: the frontend implements
// it over a solved BuildKit reference, DirFS over a local folder.
type FolderFS interface {
	ReadDir(ctx context.Context, dir string) ([]Entry, error)
	ReadFile(ctx context.Context, name string) ([]byte, error)
}

// FolderDigest is the content digest of a local Feature folder: sha256 over
// every entry under root in sorted order — its path relative to root, mode,
// symlink target, and for regular files the length and bytes. Owners and
// times are not included, so the same folder hashes the same on any machine
// and after a BuildKit transfer.
func FolderDigest(ctx context.Context, fsys FolderFS, root string) (digest.Digest, error) {
	h := sha256.New()
	root = path.Clean("/" + root)
	var walk func(dir string) error
	walk = func(dir string) error {
		entries, err := fsys.ReadDir(ctx, dir)
		if err != nil {
			return err
		}
		slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
		for _, e := range entries {
			p := path.Join(dir, e.Name)
			rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
			fmt.Fprintf(h, "%s\x00%o\x00%s\x00", rel, uint32(e.Mode), e.Linkname)
			switch {
			case e.Mode.IsDir():
				if err := walk(p); err != nil {
					return err
				}
			case e.Mode.IsRegular():
				dt, err := fsys.ReadFile(ctx, p)
				if err != nil {
					return err
				}
				fmt.Fprintf(h, "%d\x00", len(dt))
				h.Write(dt)
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return "", err
	}
	return digest.NewDigest(digest.SHA256, h), nil
}

// DirFS is a FolderFS over the local directory dir ("/" is dir).
type DirFS string

// ReadDir implements FolderFS.
func (d DirFS) ReadDir(_ context.Context, dir string) ([]Entry, error) {
	des, err := os.ReadDir(filepath.Join(string(d), filepath.FromSlash(dir)))
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(des))
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			return nil, err
		}
		e := Entry{Name: de.Name(), Mode: fi.Mode()}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if e.Linkname, err = os.Readlink(filepath.Join(string(d), filepath.FromSlash(dir), de.Name())); err != nil {
				return nil, err
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// ReadFile implements FolderFS.
func (d DirFS) ReadFile(_ context.Context, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), filepath.FromSlash(name)))
}
