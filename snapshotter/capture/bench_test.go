//go:build linux

package capture

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// BenchmarkRootfsLayer writes the eStargz layer of a directory taken as an
// upper directory with no lower (DEVCACHE_BENCH_SRC, default
// $GOROOT/src/net). The figure to compare with is stdlib gzip -6 at about
// 34 MiB/s (containerd's walking differ) on this kind of machine.
func BenchmarkRootfsLayer(b *testing.B) {
	src := os.Getenv("DEVCACHE_BENCH_SRC")
	if src == "" {
		src = filepath.Join(os.Getenv("GOROOT"), "src", "net")
		if os.Getenv("GOROOT") == "" {
			src = "/usr/local/go/src/net"
		}
	}
	var size int64
	_ = filepath.Walk(src, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			size += fi.Size()
		}
		return nil
	})
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		_, err := buildRootfs(context.Background(), Source{UpperDir: src}, dir, Options{GzipLevel: gzip.BestSpeed})
		if err != nil {
			b.Fatal(err)
		}
	}
}
