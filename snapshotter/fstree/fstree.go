// Package fstree records what a user sees in a directory tree (types, modes,
// owners, contents, symlink targets, hard link groups, xattrs) so tests can
// compare a restored root filesystem with the original.
package fstree

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Entry is one path's observable state.
type Entry struct {
	Mode     os.FileMode
	UID, GID uint32
	Data     string // sha256 of regular file contents
	Link     string // symlink target
	HardLink string // first path (sorted) of the hard link group, "" if nlink == 1
	Xattrs   map[string]string
}

func (e Entry) String() string {
	return fmt.Sprintf("%v %d:%d data=%.12s link=%q hard=%q xattrs=%v", e.Mode, e.UID, e.GID, e.Data, e.Link, e.HardLink, e.Xattrs)
}

// Read walks root, skipping the relative paths (and their subtrees) in skip.
func Read(root string, skip ...string) (map[string]Entry, error) {
	out := map[string]Entry{}
	inodes := map[uint64][]string{}
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		for _, s := range skip {
			if rel == s || strings.HasPrefix(rel, s+"/") {
				if fi.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		st := fi.Sys().(*syscall.Stat_t)
		e := Entry{Mode: fi.Mode(), UID: st.Uid, GID: st.Gid, Xattrs: xattrs(p)}
		switch {
		case fi.Mode().IsRegular():
			f, err := os.Open(p) //nolint:gosec // G122: reads test fixtures it just walked
			if err != nil {
				return err
			}
			h := sha256.New()
			_, err = io.Copy(h, f)
			if err = errors.Join(err, f.Close()); err != nil {
				return fmt.Errorf("reading %s: %w", rel, err)
			}
			e.Data = hex.EncodeToString(h.Sum(nil))
			if st.Nlink > 1 {
				inodes[st.Ino] = append(inodes[st.Ino], rel)
			}
		case fi.Mode()&os.ModeSymlink != 0:
			if e.Link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		out[rel] = e
		return nil
	})
	for _, group := range inodes {
		if len(group) < 2 {
			continue
		}
		sort.Strings(group)
		for _, p := range group {
			e := out[p]
			e.HardLink = group[0]
			out[p] = e
		}
	}
	return out, err
}

// Diff lists the differences between want and got, one per line.
func Diff(want, got map[string]Entry) []string {
	var d []string
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			d = append(d, "missing "+p)
		case w.String() != g.String():
			d = append(d, fmt.Sprintf("%s:\n  want %v\n  got  %v", p, w, g))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			d = append(d, "unexpected "+p)
		}
	}
	sort.Strings(d)
	return d
}

func xattrs(p string) map[string]string {
	buf := make([]byte, 64<<10)
	n, err := unix.Llistxattr(p, buf)
	if err != nil || n == 0 {
		return nil
	}
	out := map[string]string{}
	for _, name := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
		if strings.HasPrefix(name, "trusted.overlay.") || strings.HasPrefix(name, "security.") {
			continue
		}
		v := make([]byte, 64<<10)
		m, err := unix.Lgetxattr(p, name, v)
		if err == nil {
			out[name] = string(v[:m])
		}
	}
	return out
}
