package features

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/containerd/errdefs"
)

// MetadataFromArchive returns devcontainer-feature.json from a Feature
// archive: a tar, gzip-compressed or not (the CLI packages plain tars named
// .tgz), with entries like ./devcontainer-feature.json.
func MetadataFromArchive(data []byte) ([]byte, error) {
	var r io.Reader = bytes.NewReader(data)
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("feature archive: %w: %w", err, errdefs.ErrInvalidArgument)
		}
		defer gz.Close()
		r = gz
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("feature archive has no %s: %w", MetadataFile, errdefs.ErrInvalidArgument)
		}
		if err != nil {
			return nil, fmt.Errorf("feature archive: %w: %w", err, errdefs.ErrInvalidArgument)
		}
		if path.Clean("/"+h.Name) == "/"+MetadataFile {
			return io.ReadAll(io.LimitReader(tr, MaxMetadataSize+1)) // ParseMetadata refuses more
		}
	}
}
