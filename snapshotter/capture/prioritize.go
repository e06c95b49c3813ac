package capture

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path"

	"github.com/containerd/stargz-snapshotter/estargz"
)

// landmarkContents is the payload eStargz gives its landmark files.
const landmarkContents = 0xf

// writeLandmark writes the landmark entry name (estargz.PrefetchLandmark or
// NoPrefetchLandmark) to tw.
func writeLandmark(tw *tar.Writer, name string) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o444, Size: 1, Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err := tw.Write([]byte{landmarkContents})
	return err
}

// prioritize copies the layer tar in src to w with the entries for files
// (paths relative to the layer root), their parent directories and the
// targets of their hard links first, then the prefetch landmark, then
// everything else in its original order. A lazy restore fetches everything
// before the landmark in one range request before the mount returns.
func prioritize(src *os.File, files []string, w io.Writer) error {
	want := map[string]bool{}
	for _, f := range files {
		for p := cleanName(f); p != "." && p != ""; p = path.Dir(p) {
			want[p] = true
		}
	}
	// Hard links need their target earlier in the stream.
	if err := eachEntry(src, func(h *tar.Header, _ io.Reader) error {
		if h.Typeflag == tar.TypeLink && want[cleanName(h.Name)] {
			for p := cleanName(h.Linkname); p != "." && p != ""; p = path.Dir(p) {
				want[p] = true
			}
		}
		return nil
	}); err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	copyIf := func(first bool) func(h *tar.Header, r io.Reader) error {
		return func(h *tar.Header, r io.Reader) error {
			if want[cleanName(h.Name)] != first {
				return nil
			}
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			_, err := io.Copy(tw, r)
			return err
		}
	}
	if err := eachEntry(src, copyIf(true)); err != nil {
		return err
	}
	if err := writeLandmark(tw, estargz.PrefetchLandmark); err != nil {
		return err
	}
	if err := eachEntry(src, copyIf(false)); err != nil {
		return err
	}
	return tw.Close()
}

// noPrefetch returns the no-prefetch landmark entry, without the tar end
// marker: the layer's entries follow it in the same archive.
func noPrefetch() io.Reader {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	_ = writeLandmark(tw, estargz.NoPrefetchLandmark)
	_ = tw.Flush()
	return &b
}

func eachEntry(f *os.File, fn func(h *tar.Header, r io.Reader) error) error {
	tr := tar.NewReader(io.NewSectionReader(f, 0, 1<<62))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(h, tr); err != nil {
			return err
		}
	}
}
