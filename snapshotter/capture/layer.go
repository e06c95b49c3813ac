package capture

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/containerd/stargz-snapshotter/estargz"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	digest "github.com/opencontainers/go-digest"
)

// Layer is an eStargz layer blob written to a local file.
type Layer struct {
	path      string
	digest    digest.Digest
	diffID    digest.Digest
	tocDigest digest.Digest
	size      int64
	// Annotations go on the layer's manifest descriptor.
	Annotations map[string]string
}

var _ v1.Layer = (*Layer)(nil)

// buildLayer compresses the layer tar stream r into an eStargz blob at
// path with c, computing digest, diffID and TOC digest in the same pass (one
// streaming pass: estargz.Build would spool, sort and decompress the blob
// again, about 2× slower here).
func buildLayer(ctx context.Context, path string, c estargz.Compressor, r io.Reader) (_ *Layer, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	defer func() {
		err = errors.Join(err, f.Close())
		if err != nil {
			err = errors.Join(err, os.Remove(path))
		}
	}()
	cw := &countingWriter{w: f, h: sha256.New()}
	w := estargz.NewWriterWithCompressor(cw, c)
	if err := w.AppendTar(r); err != nil {
		return nil, fmt.Errorf("writing layer: %w", err)
	}
	toc, err := w.Close()
	if err != nil {
		return nil, fmt.Errorf("writing TOC: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	return &Layer{
		path:        path,
		digest:      digest.NewDigest(digest.SHA256, cw.h),
		diffID:      digest.Digest(w.DiffID()),
		tocDigest:   toc,
		size:        cw.n,
		Annotations: map[string]string{estargz.TOCJSONDigestAnnotation: toc.String()},
	}, nil
}

type countingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// Digest is the compressed blob's digest.
func (l *Layer) Digest() (v1.Hash, error) { return v1.NewHash(l.digest.String()) }

// DiffID is the uncompressed tar's digest (the eStargz one, TOC included).
func (l *Layer) DiffID() (v1.Hash, error) { return v1.NewHash(l.diffID.String()) }

// TOCDigest is the digest of the eStargz table of contents.
func (l *Layer) TOCDigest() digest.Digest { return l.tocDigest }

// Compressed opens the blob.
func (l *Layer) Compressed() (io.ReadCloser, error) { return os.Open(l.path) }

// Uncompressed opens the blob and decompresses it.
func (l *Layer) Uncompressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, nil
}

// Size is the compressed size.
func (l *Layer) Size() (int64, error) { return l.size, nil }

// MediaType is the OCI gzip layer type (eStargz is gzip).
func (l *Layer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }
