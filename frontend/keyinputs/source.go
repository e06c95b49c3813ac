package keyinputs

import (
	"context"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/devcache/devcache/frontend/features"
)

// Source is where a configuration's key inputs come from. Content values
// are the source's own handle on a Feature's files (the frontend's is an
// llb.State); Collect passes them through in features.Resolved.Content.
type Source interface {
	// ReadFile returns the file name, a slash path relative to the
	// configuration's folder (it may climb out of it: "../Dockerfile"). A
	// missing file is an error that is cerrdefs.ErrNotFound.
	ReadFile(ctx context.Context, name string) ([]byte, error)
	// LocalFeature gives the files of a local Feature (ref.Path, relative
	// to the configuration's folder): a file system, the folder's path in
	// it, and the content. A missing file of fsys is fs.ErrNotExist.
	LocalFeature(ctx context.Context, ref features.Ref) (fsys features.FolderFS, dir string, content any, err error)
	// Tarball fetches a tarball Feature's archive. pin, when set, is the
	// digest it must have (Collect checks it; a source may also have its
	// transport refuse other content).
	Tarball(ctx context.Context, ref features.Ref, pin digest.Digest) (data []byte, content any, err error)
	// Manifest fetches an OCI Feature's manifest as served: by ref.Digest
	// when set (pinned), else by ref.Tag (re-resolved every time).
	Manifest(ctx context.Context, ref features.Ref) ([]byte, error)
	// Layer fetches an OCI Feature's layer; with metadata it also returns
	// the layer's devcontainer-feature.json.
	Layer(ctx context.Context, ref features.Ref, layer ocispecs.Descriptor, metadata bool) (meta []byte, content any, err error)
	// ResolveImage returns the manifest digest of a normalised image
	// reference (Image's result).
	ResolveImage(ctx context.Context, ref reference.Named) (digest.Digest, error)
}
