package backend

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/devcache/devcache/registryproxy"
)

// Observer receives one backend round trip: the request, the response
// status (0 when there was no response) and the time to its headers.
type Observer func(r *http.Request, code int, d time.Duration)

// Instrument wraps b so that every round trip is reported to obs. The
// result implements registryproxy.BlobFiles exactly when b does.
func Instrument(b registryproxy.Backend, obs Observer) registryproxy.Backend {
	i := instrumented{Backend: b, obs: obs}
	if f, ok := b.(registryproxy.BlobFiles); ok {
		return instrumentedFiles{i, f}
	}
	return i
}

type instrumented struct {
	registryproxy.Backend
	obs Observer
}

func (i instrumented) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := i.Backend.RoundTrip(r)
	code := 0
	if err == nil {
		code = resp.StatusCode
	}
	i.obs(r, code, time.Since(start))
	return resp, err
}

type instrumentedFiles struct {
	instrumented
	files registryproxy.BlobFiles
}

func (i instrumentedFiles) OpenBlob(ctx context.Context, dgst digest.Digest) (*os.File, error) {
	return i.files.OpenBlob(ctx, dgst)
}
