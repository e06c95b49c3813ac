package hostkey

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"net/http"
	"os"
	"path/filepath"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/devcache/devcache/frontend/features"
	"github.com/devcache/devcache/frontend/features/registry"
	"github.com/devcache/devcache/frontend/keyinputs"
	"github.com/devcache/devcache/internal/httpclient"
)

// source is keyinputs.Source on the host: files from disk, tarballs over
// HTTP(S), OCI Features and images from their registries.
type source struct {
	dir string // devcontainer.json's folder
	opt Options
}

var _ keyinputs.Source = source{}

// ReadFile implements keyinputs.Source.
func (s source) ReadFile(_ context.Context, name string) ([]byte, error) {
	// Relative to devcontainer.json, possibly "../Dockerfile": the user's
	// own project, read like the build will.
	p := filepath.Join(s.dir, filepath.FromSlash(name))
	dt, err := os.ReadFile(p) //nolint:gosec // see above
	if errors.Is(err, iofs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", p, cerrdefs.ErrNotFound)
	}
	return dt, err
}

// LocalFeature implements keyinputs.Source.
func (s source) LocalFeature(_ context.Context, ref features.Ref) (features.FolderFS, string, any, error) {
	return features.DirFS(s.dir), ref.Path, nil, nil
}

// Tarball implements keyinputs.Source.
func (s source) Tarball(ctx context.Context, ref features.Ref, _ digest.Digest) ([]byte, any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref.URL, nil)
	if err != nil {
		return nil, nil, err
	}
	c := s.opt.HTTPClient
	if c == nil {
		c = httpclient.Client(0)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %s: %w", ref.URL, resp.Status, cerrdefs.ErrUnavailable)
	}
	dt, err := io.ReadAll(resp.Body)
	return dt, nil, err
}

func (s source) registry(host string) registry.Options {
	return registry.Options{Insecure: s.opt.insecure(host), Keychain: s.opt.Keychain}
}

// Manifest implements keyinputs.Source.
func (s source) Manifest(ctx context.Context, ref features.Ref) ([]byte, error) {
	dt, _, err := registry.FetchManifest(ctx, ref.String(), s.registry(ref.Registry))
	return dt, err
}

// Layer implements keyinputs.Source: fetched only for its metadata.
func (s source) Layer(ctx context.Context, ref features.Ref, layer ocispecs.Descriptor, metadata bool) ([]byte, any, error) {
	if !metadata {
		return nil, nil, nil
	}
	dt, err := registry.FetchBlob(ctx, ref.Resource()+"@"+layer.Digest.String(), s.registry(ref.Registry))
	if err != nil {
		return nil, nil, err
	}
	meta, err := features.MetadataFromArchive(dt)
	return meta, nil, err
}

// ResolveImage implements keyinputs.Source.
func (s source) ResolveImage(ctx context.Context, ref reference.Named) (digest.Digest, error) {
	_, d, err := registry.FetchManifest(ctx, ref.String(), s.registry(reference.Domain(ref)))
	return d, err
}
