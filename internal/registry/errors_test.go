package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// TestKind fetches a manifest from a registry that answers each way and
// checks the kind and that the message names the reference once.
func TestKind(t *testing.T) {
	cases := []struct {
		status int
		code   string
		want   error
	}{
		{http.StatusUnauthorized, "UNAUTHORIZED", errdefs.ErrUnauthenticated},
		{http.StatusUnauthorized, "", errdefs.ErrUnauthenticated},
		{http.StatusForbidden, "DENIED", errdefs.ErrPermissionDenied},
		{http.StatusForbidden, "", errdefs.ErrPermissionDenied},
		{http.StatusNotFound, "MANIFEST_UNKNOWN", errdefs.ErrNotFound},
		{http.StatusNotFound, "NAME_UNKNOWN", errdefs.ErrNotFound},
		{http.StatusNotFound, "", errdefs.ErrNotFound},
		{http.StatusBadRequest, "MANIFEST_INVALID", errdefs.ErrInvalidArgument},
		{http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN", errdefs.ErrFailedPrecondition},
		{http.StatusTooManyRequests, "TOOMANYREQUESTS", errdefs.ErrResourceExhausted},
		{http.StatusMethodNotAllowed, "UNSUPPORTED", errdefs.ErrNotImplemented},
		{http.StatusBadGateway, "UNKNOWN", errdefs.ErrUnavailable},
		{http.StatusServiceUnavailable, "", errdefs.ErrUnavailable},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d-%s", c.status, c.code), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v2/" {
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				if c.code != "" {
					fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"said the registry"}]}`, c.code)
				}
			}))
			defer srv.Close()
			ref := strings.TrimPrefix(srv.URL, "http://") + "/team/app:v1"
			r, err := Insecure(nil).ParseReference(ref)
			if err != nil {
				t.Fatal(err)
			}
			noRetry := remote.WithRetryBackoff(remote.Backoff{Steps: 1})
			_, err = remote.Get(r, append(Options{}.Remote(context.Background()), noRetry)...)
			err = Wrap("fetching the manifest of", ref, err)
			if !errors.Is(err, c.want) {
				t.Fatalf("%v: kind is not %v", err, c.want)
			}
			for _, k := range kinds {
				if k != c.want && errors.Is(err, k) {
					t.Errorf("%v: also %v", err, k)
				}
			}
			var te *transport.Error
			if !errors.As(err, &te) || te.StatusCode != c.status {
				t.Errorf("%v: the registry's answer is not kept", err)
			}
			if n := strings.Count(err.Error(), "/team/app"); n != 1 {
				t.Errorf("%q names the reference %d times", err, n)
			}
			if err2 := fmt.Errorf("outer: %w", err); Wrap("again", ref, err2) != err2 {
				t.Error("an *Error was wrapped a second time")
			}
		})
	}
}

func TestKindNetworkAndCancel(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(srv.URL, "http://")
	srv.Close() // nothing listens any more
	r, err := Insecure(nil).ParseReference(addr + "/a:b")
	if err != nil {
		t.Fatal(err)
	}
	_, err = remote.Get(r, Options{}.Remote(context.Background())...)
	if err = Wrap("fetching the manifest of", addr+"/a:b", err); !errdefs.IsUnavailable(err) {
		t.Errorf("refused connection: %v is not unavailable", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = remote.Get(r, Options{}.Remote(ctx)...)
	if Kind(err) != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, kind %v", err, Kind(err))
	}
	already := fmt.Errorf("x: %w", errdefs.ErrNotFound)
	if Kind(already) != nil || !IsNotFound(already) {
		t.Error("an error with a kind was given a second one")
	}
}
