//go:build linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/containerd/stargz-snapshotter/estargz"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/klauspost/compress/gzip"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/internal/registry"
)

// Options describe one capture.
type Options struct {
	// Base is the reference of the image the container was created from;
	// its layers are reused (mounted, not uploaded again) in the prebuild.
	Base string
	// Target is the reference the prebuild image is pushed to, e.g.
	// proxy.example/projects/<project>/prebuild:<tag>.
	Target string
	// Workspaces are captured as one layer each, after the rootfs layer.
	Workspaces []Workspace
	// PrioritizedFiles (paths in the container, e.g. those the setup read)
	// are placed first in the rootfs layer, before the prefetch landmark.
	PrioritizedFiles []string
	// EnvironmentClass and ConfigKey are recorded as manifest annotations.
	EnvironmentClass string
	ConfigKey        string
	// Created is the capture time; zero means now.
	Created time.Time
	// GzipLevel is the eStargz gzip level (default gzip.BestSpeed).
	GzipLevel int
	// RootfsLayers is how many layers the rootfs changes are split over,
	// compressed in parallel (default GOMAXPROCS, at most 4).
	RootfsLayers int
	// Insecure lists the registries reached over plain HTTP besides
	// loopback, localhost and *.localhost (internal/registry's rule).
	Insecure registry.Insecure
	// Remote are go-containerregistry options for both registries
	// (remote.WithAuth, remote.WithAuthFromKeychain, remote.WithTransport).
	Remote []remote.Option
	// TempDir holds layer blobs while they are built (default os.TempDir).
	TempDir string
}

// Result describes a pushed prebuild.
type Result struct {
	// Digest is the manifest digest (the tag points at it).
	Digest v1.Hash
	// Reference is Target pinned to Digest.
	Reference string
	// Layers are the layers the capture added, rootfs first.
	Layers []*Layer
	// Timings of the phases.
	LayerTime, PushTime time.Duration
}

// Capture builds the prebuild layers from src and the workspaces, appends
// them to the base image and pushes the result to opts.Target. Blobs and the
// config are uploaded before the manifest, so a failure or a kill before the
// end leaves the tag (and whatever it pointed to) untouched.
func Capture(ctx context.Context, src Source, opts Options) (*Result, error) {
	baseRef, err := opts.Insecure.ParseReference(opts.Base, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("base %w", err)
	}
	target, err := opts.Insecure.ParseReference(opts.Target, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("target %w", err)
	}
	// The platform of an index base defaults to this machine's, as containerd's.
	ropts := append([]remote.Option{
		remote.WithContext(ctx),
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: runtime.GOARCH}),
	}, opts.Remote...)
	base, err := remote.Image(baseRef, ropts...)
	if err != nil {
		return nil, fmt.Errorf("reading base image %s: %w", baseRef, err)
	}
	baseDigest, err := base.Digest()
	if err != nil {
		return nil, err
	}
	if opts.GzipLevel == 0 {
		opts.GzipLevel = gzip.BestSpeed
	}
	created := opts.Created
	if created.IsZero() {
		created = time.Now().UTC()
	}
	tmp, err := os.MkdirTemp(opts.TempDir, "devcache-capture-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	start := time.Now()
	res := &Result{}
	rootfs, err := buildRootfs(ctx, src, tmp, opts)
	if err != nil {
		return nil, fmt.Errorf("capturing rootfs changes: %w", err)
	}
	for _, l := range rootfs {
		l.Annotations[contract.AnnotationLayerKind] = "rootfs"
	}
	res.Layers = append(res.Layers, rootfs...)
	for i, ws := range opts.Workspaces {
		pr, pw := newBufferedPipe(256<<10, 32)
		go func() {
			_, err := io.Copy(pw, noPrefetch())
			if err == nil {
				err = writeWorkspace(ctx, ws, pw)
			}
			pw.CloseWithError(err)
		}()
		l, err := buildLayer(ctx, filepath.Join(tmp, fmt.Sprintf("workspace-%d", i)), newGzipCompressor(opts.GzipLevel), pr)
		pr.CloseWithError(err)
		if err != nil {
			return nil, fmt.Errorf("capturing workspace %s: %w", ws.Path, err)
		}
		l.Annotations[contract.AnnotationLayerKind] = "workspace"
		l.Annotations[contract.AnnotationWorkspacePath] = ws.Path
		res.Layers = append(res.Layers, l)
	}
	res.LayerTime = time.Since(start)
	log.G(ctx).Info("captured layers", "layers", len(res.Layers), "duration", res.LayerTime)

	img, err := compose(base, res.Layers, created)
	if err != nil {
		return nil, err
	}
	img = mutate.Annotations(img, map[string]string{
		contract.AnnotationEnvironmentClass: opts.EnvironmentClass,
		contract.AnnotationSourceImage:      baseRef.Context().Digest(baseDigest.String()).String(),
		contract.AnnotationConfigKey:        opts.ConfigKey,
		contract.AnnotationCreated:          created.Format(time.RFC3339),
	}).(v1.Image)

	start = time.Now()
	if err := remote.Write(target, img, ropts...); err != nil {
		return nil, fmt.Errorf("pushing %s: %w", target, err)
	}
	res.PushTime = time.Since(start)
	if res.Digest, err = img.Digest(); err != nil {
		return nil, err
	}
	res.Reference = target.Context().Digest(res.Digest.String()).String()
	log.G(ctx).Info("pushed prebuild", "reference", res.Reference, "duration", res.PushTime)
	return res, nil
}

// buildRootfs writes the rootfs layers: the upper directory's changes,
// with the prioritized files first, split over opts.RootfsLayers layers
// compressed in parallel.
func buildRootfs(ctx context.Context, src Source, tmp string, opts Options) ([]*Layer, error) {
	n := opts.RootfsLayers
	if n <= 0 {
		n = min(runtime.GOMAXPROCS(0), 4)
	}
	blobs := make([]string, n)
	for i := range blobs {
		blobs[i] = filepath.Join(tmp, fmt.Sprintf("rootfs-%d", i))
	}
	var layers []*Layer
	err := src.withLowerView(ctx, tmp, func(lower string) error {
		pr, pw := newBufferedPipe(256<<10, 32)
		go func() { pw.CloseWithError(writeOrdered(ctx, lower, src.UpperDir, tmp, opts.PrioritizedFiles, pw)) }()
		var err error
		layers, err = splitLayers(ctx, pr, src.UpperDir, n, blobs, func() estargz.Compressor { return newGzipCompressor(opts.GzipLevel) })
		pr.CloseWithError(err)
		return err
	})
	return layers, err
}

// writeOrdered writes the change set with the prefetch landmark: after the
// prioritized files (spooling the tar to reorder it), or first when there
// are none.
func writeOrdered(ctx context.Context, lower, upper, tmp string, prioritized []string, w io.Writer) error {
	if len(prioritized) == 0 {
		if _, err := io.Copy(w, noPrefetch()); err != nil {
			return err
		}
		return writeChanges(ctx, lower, upper, w)
	}
	f, err := os.CreateTemp(tmp, "rootfs-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := writeChanges(ctx, lower, upper, f); err != nil {
		return err
	}
	return prioritize(f, prioritized, w)
}

// compose appends layers to base with their annotations, as an OCI image.
func compose(base v1.Image, layers []*Layer, created time.Time) (v1.Image, error) {
	img := v1.Image(withoutManifestAnnotations{base})
	for _, l := range layers {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:       l,
			Annotations: l.Annotations,
			History: v1.History{
				Created:   v1.Time{Time: created},
				CreatedBy: "devcache prebuild: " + l.Annotations[contract.AnnotationLayerKind] + " " + l.Annotations[contract.AnnotationWorkspacePath],
				Comment:   "eStargz",
			},
		})
		if err != nil {
			return nil, err
		}
	}
	img, err := mutate.CreatedAt(img, v1.Time{Time: created})
	if err != nil {
		return nil, err
	}
	if err := validateMediaTypes(img); err != nil {
		return nil, err
	}
	return img, nil
}

// withoutManifestAnnotations is a base image whose manifest annotations do
// not carry over to the capture: they describe the base (an incremental
// prebuild's base is its parent, whose phase, commit, trigger and user a
// capture must not claim). Its layers' annotations stay (the lazy restore
// reads them on the reused layers).
type withoutManifestAnnotations struct{ v1.Image }

func (b withoutManifestAnnotations) Manifest() (*v1.Manifest, error) {
	m, err := b.Image.Manifest()
	if err != nil {
		return nil, err
	}
	m = m.DeepCopy()
	m.Annotations = nil
	return m, nil
}

// validateMediaTypes refuses base images whose manifest cannot carry layer
// annotations (Docker schema 1), which the lazy restore needs.
func validateMediaTypes(img v1.Image) error {
	mt, err := img.MediaType()
	if err != nil {
		return err
	}
	if !mt.IsImage() {
		return errors.New("base is not a single-platform image manifest")
	}
	return nil
}
