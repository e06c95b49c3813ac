package capture

import (
	"io"
	"sync"

	"github.com/containerd/stargz-snapshotter/estargz"
	"github.com/klauspost/compress/gzip"
)

// gzipCompressor writes eStargz gzip members with klauspost/compress instead
// of the standard library: level 1 runs about 5× faster than stdlib gzip -6
// (175 vs 34 MiB/s measured here) for a few percent of size. The blob stays
// plain gzip, readable by any runtime. Writers are pooled, since eStargz
// opens one gzip member per file.
type gzipCompressor struct {
	*estargz.GzipCompressor
	*estargz.GzipDecompressor
	level int
	pool  sync.Pool
}

func newGzipCompressor(level int) *gzipCompressor {
	return &gzipCompressor{
		GzipCompressor:   estargz.NewGzipCompressorWithLevel(level),
		GzipDecompressor: &estargz.GzipDecompressor{},
		level:            level,
	}
}

// Writer returns a gzip member writer on w.
func (c *gzipCompressor) Writer(w io.Writer) (estargz.WriteFlushCloser, error) {
	if zw, ok := c.pool.Get().(*gzip.Writer); ok {
		zw.Reset(w)
		return &pooledGzip{Writer: zw, pool: &c.pool}, nil
	}
	zw, err := gzip.NewWriterLevel(w, c.level)
	if err != nil {
		return nil, err
	}
	return &pooledGzip{Writer: zw, pool: &c.pool}, nil
}

type pooledGzip struct {
	*gzip.Writer
	pool *sync.Pool
}

func (p *pooledGzip) Close() error {
	err := p.Writer.Close()
	p.pool.Put(p.Writer)
	return err
}

// Reader decompresses with klauspost/compress too (estargz.Build reads the
// whole blob back once to compute the diffID).
func (c *gzipCompressor) Reader(r io.Reader) (io.ReadCloser, error) { return gzip.NewReader(r) }

var _ estargz.Compression = (*gzipCompressor)(nil)
