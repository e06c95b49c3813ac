package hostkey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"net/http"
	"path/filepath"

	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/devcache/devcache/frontend/features"
	"github.com/devcache/devcache/frontend/features/registry"
	"github.com/devcache/devcache/internal/httpclient"
)

// resolver fetches Features from the host: local folders from disk,
// tarballs over HTTP(S), OCI Features from their registries.
type resolver struct {
	dir  string // devcontainer.json's folder
	opt  Options
	lock *features.Lockfile
}

func (r *resolver) Resolve(ctx context.Context, ref features.Ref) (*features.Resolved, error) {
	switch ref.Type {
	case features.Local:
		fsys := features.DirFS(r.dir)
		meta, err := fsys.ReadFile(ctx, filepath.ToSlash(filepath.Join(ref.Path, features.MetadataFile)))
		if errors.Is(err, iofs.ErrNotExist) {
			return nil, fmt.Errorf("the local Feature's %s: %w", filepath.Join(r.dir, ref.Path, features.MetadataFile), errdefs.ErrNotFound)
		}
		if err != nil {
			return nil, err
		}
		md, err := features.ParseMetadata(ref.UserID+"/"+features.MetadataFile, meta)
		if err != nil {
			return nil, err
		}
		d, err := features.FolderDigest(ctx, fsys, ref.Path)
		if err != nil {
			return nil, err
		}
		return &features.Resolved{Metadata: md, Digest: d}, nil
	case features.Tarball:
		dt, err := r.get(ctx, ref.URL)
		if err != nil {
			return nil, err
		}
		meta, err := features.MetadataFromArchive(dt)
		if err != nil {
			return nil, err
		}
		md, err := features.ParseMetadata(ref.UserID+"/"+features.MetadataFile, meta)
		if err != nil {
			return nil, err
		}
		return &features.Resolved{Metadata: md, Digest: digest.FromBytes(dt), Canonical: ref.URL}, nil
	case features.OCI:
		return r.oci(ctx, ref)
	}
	return nil, fmt.Errorf("unsupported Feature type %q: %w", ref.Type, errdefs.ErrNotImplemented)
}

func (r *resolver) oci(ctx context.Context, ref features.Ref) (*features.Resolved, error) {
	what := ":" + ref.Tag
	if ref.Digest != "" {
		what = "@" + ref.Digest
	} else if pin, ok := r.lock.Pin(ref.UserID); ok {
		what = "@" + pin.Integrity
	}
	ropt := registry.Options{Insecure: r.opt.Insecure, Keychain: r.opt.Keychain}
	dt, d, err := registry.FetchManifest(ctx, ref.Registry+"/"+ref.Repository+what, ropt)
	if err != nil {
		return nil, err
	}
	var m ocispecs.Manifest
	if err := json.Unmarshal(dt, &m); err != nil || len(m.Layers) == 0 {
		return nil, fmt.Errorf("%s: not a Feature manifest: %w", ref.Registry+"/"+ref.Repository+what, errdefs.ErrInvalidArgument)
	}
	meta := []byte(m.Annotations["dev.containers.metadata"])
	if len(meta) == 0 {
		layer, err := registry.FetchBlob(ctx, ref.Registry+"/"+ref.Repository+"@"+m.Layers[0].Digest.String(), ropt)
		if err != nil {
			return nil, err
		}
		if meta, err = features.MetadataFromArchive(layer); err != nil {
			return nil, err
		}
	}
	md, err := features.ParseMetadata(ref.UserID+"/"+features.MetadataFile, meta)
	if err != nil {
		return nil, err
	}
	return &features.Resolved{Metadata: md, Digest: d, Canonical: ref.Registry + "/" + ref.Repository + "@" + d.String()}, nil
}

func (r *resolver) get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	c := r.opt.HTTPClient
	if c == nil {
		c = httpclient.Client(0)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %w", url, resp.Status, errdefs.ErrUnavailable)
	}
	return io.ReadAll(resp.Body)
}
