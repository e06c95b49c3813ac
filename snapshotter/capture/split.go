//go:build linux

package capture

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/containerd/stargz-snapshotter/estargz"
	"golang.org/x/sync/errgroup"
)

// splitLayers compresses one layer tar stream into n eStargz layers in
// parallel (eStargz compression is single-threaded per blob: one gzip member
// and two digests per file). Stacked in order they give the same tree:
//
//   - directories go to every layer (same metadata, so upper copies do not
//     change what the lower ones say);
//   - whiteouts and opaque markers go to the first (lowest) layer only, so
//     they never hide files of the other new layers;
//   - a hard link goes to the layer of its target;
//   - everything else goes to the layer with the fewest bytes so far, except
//     the entries before the prefetch landmark (prioritized files), which
//     stay in the first layer with the landmark.
//
// Extended attributes are added from root/<name> (see copyWithXattrs).
func splitLayers(ctx context.Context, r io.Reader, root string, n int, blobs []string, c func() estargz.Compressor) ([]*Layer, error) {
	pipes := make([]*pipeWriter, n)
	tws := make([]*tar.Writer, n)
	layers := make([]*Layer, n)
	eg, ectx := errgroup.WithContext(ctx)
	for i := range n {
		pr, pw := newBufferedPipe(256<<10, 32)
		pipes[i], tws[i] = pw, tar.NewWriter(pw)
		eg.Go(func() error {
			l, err := buildLayer(ectx, blobs[i], c(), pr)
			pr.CloseWithError(err) // unblock the router on failure
			layers[i] = l
			return err
		})
	}
	err := route(r, root, tws)
	for i, pw := range pipes {
		if err == nil {
			err = tws[i].Close()
		}
		pw.CloseWithError(err)
	}
	if werr := eg.Wait(); werr != nil {
		return nil, errors.Join(err, werr)
	}
	return layers, err
}

func route(r io.Reader, root string, tws []*tar.Writer) error {
	tr := tar.NewReader(r)
	size := make([]int64, len(tws))
	linkLayer := map[string]int{}
	landmark := false // saw a prefetch landmark: stop pinning entries to layer 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		// The names come from our own walk of root, not from an untrusted archive.
		if err := addXattrs(h, filepath.Join(root, h.Name)); err != nil { //nolint:gosec // G305: see above
			return err
		}
		var to []int
		base := filepath.Base(h.Name)
		switch {
		case h.Name == estargz.PrefetchLandmark || h.Name == estargz.NoPrefetchLandmark:
			landmark = true
			to = all(len(tws)) // every layer gets a landmark
		case h.Typeflag == tar.TypeDir:
			to = all(len(tws))
		case strings.HasPrefix(base, ".wh."):
			to = []int{0}
		case h.Typeflag == tar.TypeLink:
			i, ok := linkLayer[strings.TrimPrefix(h.Linkname, "./")]
			if !ok {
				return fmt.Errorf("hard link %s to %s: target not in the layer", h.Name, h.Linkname)
			}
			to = []int{i}
		case !landmark:
			to = []int{0}
		default:
			to = []int{smallest(size)}
		}
		if len(to) == 1 {
			linkLayer[strings.TrimPrefix(h.Name, "./")] = to[0]
			size[to[0]] += h.Size + 512
		}
		if len(to) == 1 {
			if err := tws[to[0]].WriteHeader(h); err != nil {
				return err
			}
			if _, err := io.Copy(tws[to[0]], tr); err != nil { //nolint:gosec // G110: our own tar stream
				return err
			}
			continue
		}
		if h.Size > 0 {
			// Landmarks: one byte, copied to every layer.
			b, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			for _, i := range to {
				if err := tws[i].WriteHeader(h); err != nil {
					return err
				}
				if _, err := tws[i].Write(b); err != nil {
					return err
				}
			}
			continue
		}
		for _, i := range to {
			if err := tws[i].WriteHeader(h); err != nil {
				return err
			}
		}
	}
}

func all(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func smallest(size []int64) int {
	m := 0
	for i, s := range size {
		if s < size[m] {
			m = i
		}
	}
	return m
}
