//go:build linux

package capture

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/stargz-snapshotter/estargz"
	"github.com/stretchr/testify/require"
)

type entry struct {
	name, link string
	typ        byte
	size       int
}

func tarOf(t *testing.T, entries ...entry) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Size: int64(e.size), Mode: 0o644}))
		_, err := tw.Write(bytes.Repeat([]byte("x"), e.size))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return &b
}

func names(t *testing.T, b *bytes.Buffer) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(b)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out = append(out, h.Name)
	}
}

// TestRoute checks how a change set is split over layers: directories
// everywhere, whiteouts and opaque markers in the lowest layer, hard links
// with their target, entries before the landmark in the first layer, the
// rest balanced by size.
func TestRoute(t *testing.T) {
	in := tarOf(t,
		entry{name: "etc/", typ: tar.TypeDir},
		entry{name: "etc/passwd", typ: tar.TypeReg, size: 10},
		entry{name: estargz.PrefetchLandmark, typ: tar.TypeReg, size: 1},
		entry{name: "big", typ: tar.TypeReg, size: 5000},
		entry{name: "small", typ: tar.TypeReg, size: 10},
		entry{name: "small-link", link: "small", typ: tar.TypeLink},
		entry{name: ".wh.deleted", typ: tar.TypeReg},
		entry{name: "opt/", typ: tar.TypeDir},
		entry{name: "opt/.wh..wh..opq", typ: tar.TypeReg},
		entry{name: "opt/new", typ: tar.TypeReg, size: 10},
	)
	var l0, l1 bytes.Buffer
	tws := []*tar.Writer{tar.NewWriter(&l0), tar.NewWriter(&l1)}
	require.NoError(t, route(in, t.TempDir(), tws))
	for _, tw := range tws {
		require.NoError(t, tw.Close())
	}
	// etc/passwd is before the landmark: layer 0. Then big goes to the
	// empty layer 1, and the small files to layer 0, with the link to its
	// target and the whiteouts in layer 0 whatever the sizes.
	require.Equal(t, []string{"etc/", "etc/passwd", estargz.PrefetchLandmark, "small", "small-link", ".wh.deleted", "opt/", "opt/.wh..wh..opq", "opt/new"}, names(t, &l0))
	require.Equal(t, []string{"etc/", estargz.PrefetchLandmark, "big", "opt/"}, names(t, &l1))
}

func TestPrioritize(t *testing.T) {
	in := tarOf(t,
		entry{name: "a/", typ: tar.TypeDir},
		entry{name: "a/one", typ: tar.TypeReg, size: 3},
		entry{name: "b/", typ: tar.TypeDir},
		entry{name: "b/two", typ: tar.TypeReg, size: 3},
		entry{name: "b/link", link: "a/one", typ: tar.TypeLink},
	)
	f, err := os.CreateTemp(t.TempDir(), "tar")
	require.NoError(t, err)
	defer f.Close()
	_, err = io.Copy(f, in)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, prioritize(f, []string{"/b/link", "b/two"}, &out))
	require.Equal(t, []string{"a/", "a/one", "b/", "b/two", "b/link", estargz.PrefetchLandmark}, names(t, &out))
}

func TestSourceFromMounts(t *testing.T) {
	s, err := SourceFromMounts([]mount.Mount{{Type: "overlay", Source: "overlay", Options: []string{"workdir=/w", "upperdir=/u", "lowerdir=/l1:/l2", "index=off"}}})
	require.NoError(t, err)
	require.Equal(t, Source{UpperDir: "/u", LowerDirs: []string{"/l1", "/l2"}}, s)
	s, err = SourceFromMounts([]mount.Mount{{Type: "bind", Source: "/u", Options: []string{"rw", "rbind"}}})
	require.NoError(t, err)
	require.Equal(t, Source{UpperDir: "/u"}, s)
	_, err = SourceFromMounts([]mount.Mount{{Type: "bind", Source: "/u", Options: []string{"ro", "rbind"}}})
	require.Error(t, err)
	_, err = SourceFromMounts([]mount.Mount{{Type: "overlay", Options: []string{"lowerdir=/a:/b"}}})
	require.Error(t, err, "a view has no upperdir")
}
