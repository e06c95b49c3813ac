package registryproxy

import (
	"context"
	"net/http"
	"os"

	"github.com/opencontainers/go-digest"
)

// Backend is a backing registry. The proxy sends it requests it rebuilt
// from canonical parts: the URL carries only the path (/v2/<backend
// repository>/...) and query; the backend adds its address and credentials.
type Backend interface {
	http.RoundTripper
	// Close releases the backend's resources.
	Close() error
}

// BlobFiles is implemented by backends whose blob bytes are plain files the
// proxy can read (the embedded filesystem registry). After the proxy has
// confirmed with the backend that the repository holds the blob, it serves
// the file itself, letting the kernel copy it (sendfile) instead of
// relaying the stream through user space.
type BlobFiles interface {
	OpenBlob(ctx context.Context, dgst digest.Digest) (*os.File, error)
}
