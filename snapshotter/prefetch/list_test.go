package prefetch

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	memregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/registry"
)

func TestClean(t *testing.T) {
	require.Equal(t, []string{"/usr/bin/javac", "/etc/ld.so.cache", "/a/b"},
		Clean([]string{"/usr/bin/javac", "usr/bin/javac", "/etc/ld.so.cache", "/proc/self/maps", "/dev/null", "/sys/x", "/", "/a/./c/../b"}))
}

// TestPushResolveFetch round-trips a list through a registry beside its
// image's tag.
func TestPushResolveFetch(t *testing.T) {
	srv := httptest.NewServer(memregistry.New())
	t.Cleanup(srv.Close)
	image := strings.TrimPrefix(srv.URL, "http://") + "/projects/p/image-build:abc"
	ctx := context.Background()

	_, err := Resolve(ctx, image, registry.Options{})
	require.ErrorIs(t, err, errdefs.ErrNotFound)

	pushed, err := Push(ctx, image, List{Files: []string{"/usr/bin/javac", "/usr/lib/jvm/lib/modules", "/usr/bin/javac"}}, registry.Options{})
	require.NoError(t, err)
	resolved, err := Resolve(ctx, image, registry.Options{})
	require.NoError(t, err)
	require.Equal(t, pushed, resolved)
	l, err := Fetch(ctx, resolved)
	require.NoError(t, err)
	require.Equal(t, []string{"/usr/bin/javac", "/usr/lib/jvm/lib/modules"}, l.Files)
}
