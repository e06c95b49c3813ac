package prefetch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/devcache/devcache/internal/registry"
)

// Media types of the prefetch artifact.
const (
	// MediaType is the artifact's config media type.
	MediaType = "application/vnd.devcache.prefetch.config.v1+json"
	// ListMediaType is its one layer: the List as JSON.
	ListMediaType = "application/vnd.devcache.prefetch.list.v1+json"
	// TagSuffix names the artifact beside the cached image: <key>-prefetch.
	TagSuffix = "-prefetch"
	// MaxFiles bounds a list.
	MaxFiles = 20000
)

// List is the files an environment read while it started, in order.
type List struct {
	// Files are absolute paths in the container.
	Files []string `json:"files"`
}

// Clean keeps absolute, cleaned, unique paths (at most MaxFiles) and drops
// the kernel's pseudo filesystems.
func Clean(files []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		f = path.Clean("/" + f)
		if seen[f] || f == "/" || strings.HasPrefix(f, "/proc/") || strings.HasPrefix(f, "/sys/") || strings.HasPrefix(f, "/dev/") {
			continue
		}
		seen[f] = true
		out = append(out, f)
		if len(out) == MaxFiles {
			break
		}
	}
	return out
}

// Ref is where the prefetch list of the image at imageRef (a tag) lives.
func Ref(imageRef string) string { return imageRef + TagSuffix }

// Push stores the list beside the image at imageRef, with o's credentials
// (create) and plain-HTTP policy; it returns the artifact's digest
// reference. The tag is write-once: the proxy accepts the same list again
// and refuses another.
func Push(ctx context.Context, imageRef string, l List, o registry.Options) (string, error) {
	ref, err := o.Insecure.ParseReference(Ref(imageRef))
	if err != nil {
		return "", fmt.Errorf("prefetch %w", err)
	}
	body, err := json.Marshal(List{Files: Clean(l.Files)})
	if err != nil {
		return "", err
	}
	img, err := mutate.Append(mutate.MediaType(mutate.ConfigMediaType(empty.Image, MediaType), types.OCIManifestSchema1),
		mutate.Addendum{Layer: static.NewLayer(body, ListMediaType)})
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img, o.Remote(ctx)...); err != nil {
		return "", registry.Wrap("pushing the prefetch list", ref.String(), err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return ref.Context().Digest(d.String()).String(), nil
}

// Resolve returns the digest reference of the prefetch list stored beside
// imageRef, or an error wrapping errdefs.ErrNotFound when there is none
// (internal/registry's kinds).
func Resolve(ctx context.Context, imageRef string, o registry.Options) (string, error) {
	ref, err := o.Insecure.ParseReference(Ref(imageRef))
	if err != nil {
		return "", fmt.Errorf("prefetch %w", err)
	}
	desc, err := remote.Head(ref, o.Remote(ctx)...)
	if err != nil {
		return "", registry.Wrap("looking up the prefetch list", ref.String(), err)
	}
	return ref.Context().Digest(desc.Digest.String()).String(), nil
}

// Fetch reads the list at ref (a digest reference from Push or Resolve).
func Fetch(ctx context.Context, ref string, opts ...remote.Option) (*List, error) {
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return nil, fmt.Errorf("prefetch reference: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	img, err := remote.Image(r, append(opts, remote.WithContext(ctx))...)
	if err != nil {
		return nil, registry.Wrap("fetching the prefetch list", ref, err)
	}
	return readList(img)
}

func readList(img v1.Image) (*List, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	if len(layers) != 1 {
		return nil, fmt.Errorf("prefetch list: %d layers, want 1: %w", len(layers), errdefs.ErrInvalidArgument)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var l List
	if err := json.NewDecoder(io.LimitReader(rc, 8<<20)).Decode(&l); err != nil {
		return nil, fmt.Errorf("prefetch list: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	l.Files = Clean(l.Files)
	return &l, nil
}
