package imagecache

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/util/progress/progressui"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/devcache/devcache/frontend/builder"
	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/internal/tracing"
)

// BuildKit builds with devcache-frontend on a buildkitd.
type BuildKit struct {
	// Client is connected to buildkitd.
	Client *bkclient.Client
	// FrontendImage is the devcache-frontend image reference; empty runs the
	// frontend in this process (BuildKit's "client frontend"), which skips
	// resolving and starting the frontend's container.
	FrontendImage string
	// Progress is BuildKit's progress UI mode: auto, plain, tty, rawjson or quiet.
	Progress progressui.DisplayMode
	// ProgressOut receives the progress display (stderr).
	ProgressOut io.Writer
	// Platforms are the target platforms (nil: the frontend's default, the
	// worker's); give the same ones to the Keyer.
	Platforms []ocispecs.Platform
	// Compression of the exported layers (one of LayerCompressions):
	// estargz (default; a runner with devcache-snapshotter starts from it
	// before the download ends, others pull it as gzip), zstd (smallest and
	// fastest to unpack, but always pulled in full) or gzip.
	Compression string
}

// Layer compressions BuildKit.Compression accepts.
const (
	CompressionEStargz = "estargz"
	CompressionZstd    = "zstd"
	CompressionGzip    = "gzip"
)

// LayerCompressions lists the accepted layer compressions, default first.
var LayerCompressions = []string{CompressionEStargz, CompressionZstd, CompressionGzip}

// CheckCompression validates a layer compression setting ("" is the default).
func CheckCompression(c string) error {
	if c == "" || slices.Contains(LayerCompressions, c) {
		return nil
	}
	return fmt.Errorf("layer compression %q: want one of %s: %w", c, strings.Join(LayerCompressions, ", "), cerrdefs.ErrInvalidArgument)
}

var _ Builder = (*BuildKit)(nil)

// Build solves the configuration with the frontend (gateway.v0) and records
// the build's duration on the image config (BuildSecondsLabel) before the
// image exporter pushes it, so the push carries the build time in one step.
func (b *BuildKit) Build(ctx context.Context, req BuildRequest) (*BuildResult, error) {
	if err := CheckCompression(b.Compression); err != nil {
		return nil, err
	}
	contextFS, err := fsutil.NewFS(req.ContextDir)
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", req.ContextDir, err)
	}
	configFS, err := fsutil.NewFS(req.ConfigDir)
	if err != nil {
		return nil, fmt.Errorf("configuration folder %s: %w", req.ConfigDir, err)
	}

	opts := map[string]string{"filename": req.ConfigFile}
	if len(b.Platforms) > 0 {
		opts["platform"] = cachekey.FormatPlatforms(b.Platforms)
	}
	for k, v := range req.FrontendOpts {
		opts[k] = v
	}
	solveOpt := bkclient.SolveOpt{
		FrontendAttrs: opts,
		LocalMounts:   map[string]fsutil.FS{"context": contextFS, "dockerfile": configFS},
		Session:       []session.Attachable{authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{AuthConfigProvider: sessionAuth(req.Auth)})},
	}
	if req.Push != "" {
		solveOpt.Exports = append(solveOpt.Exports, bkclient.ExportEntry{
			Type:  bkclient.ExporterImage,
			Attrs: b.layerAttrs(map[string]string{"name": req.Push, "push": "true"}),
		})
	}
	if req.CacheExport != "" {
		solveOpt.CacheExports = append(solveOpt.CacheExports, bkclient.CacheOptionsEntry{
			Type:  "registry",
			Attrs: map[string]string{"ref": req.CacheExport, "mode": "max", "oci-mediatypes": "true", "image-manifest": "true", "compression": b.compression(), "ignore-error": "true"},
		})
	}
	for _, ref := range req.CacheImports {
		solveOpt.CacheImports = append(solveOpt.CacheImports, bkclient.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": ref}})
	}
	if req.ExportOCI != nil {
		solveOpt.Exports = append(solveOpt.Exports, bkclient.ExportEntry{
			Type:   bkclient.ExporterOCI,
			Attrs:  b.layerAttrs(map[string]string{}),
			Output: func(map[string]string) (io.WriteCloser, error) { return req.ExportOCI(ctx) },
		})
	}

	bctx := ctx // the build phase's span: the export span's parent
	var (
		took time.Duration
		// exportSpan is the time after the solve: the exports (the push
		// to the cache, the archive for the runtime).
		exportSpan trace.Span
	)
	buildFunc := func(ctx context.Context, c gwclient.Client) (*gwclient.Result, error) {
		start := time.Now()
		var res *gwclient.Result
		var err error
		if b.FrontendImage == "" {
			// The frontend returns lazy references: evaluate them so the
			// recorded time is the build's, not only the LLB generation's.
			if res, err = builder.Build(ctx, c); err == nil {
				err = res.EachRef(func(ref gwclient.Reference) error {
					if ref == nil {
						return nil
					}
					return ref.Evaluate(ctx)
				})
			}
		} else {
			gwOpts := maps.Clone(opts)
			gwOpts["source"] = b.FrontendImage
			if ci, ok := c.BuildOpts().Opts["cache-imports"]; ok {
				gwOpts["cache-imports"] = ci
			}
			res, err = c.Solve(ctx, gwclient.SolveRequest{Frontend: "gateway.v0", FrontendOpt: gwOpts, Evaluate: true})
		}
		if err != nil {
			return nil, err
		}
		took = time.Since(start)
		if req.Push != "" {
			_, exportSpan = tracing.Start(bctx, PhasePush, attribute.String("devcache.phase", PhasePush), attribute.String("devcache.ref", req.Push))
		} else if req.ExportOCI != nil {
			_, exportSpan = tracing.Start(bctx, PhaseExport, attribute.String("devcache.phase", PhaseExport))
		}
		return res, recordBuildTime(res, took)
	}

	ch, displayCh := make(chan *bkclient.SolveStatus), make(chan *bkclient.SolveStatus)
	display, err := progressui.NewDisplay(b.progressOut(), b.mode())
	if err != nil {
		return nil, fmt.Errorf("progress display: %w", err)
	}
	var steps stepCounter
	var resp *bkclient.SolveResponse
	eg, egctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		var err error
		resp, err = b.Client.Build(egctx, solveOpt, "devcache", buildFunc, ch)
		return err
	})
	eg.Go(func() error {
		defer close(displayCh)
		for st := range ch {
			steps.update(st)
			displayCh <- st
		}
		return nil
	})
	eg.Go(func() error {
		// The display ends when the build closes ch; its own errors never fail the build.
		_, _ = display.UpdateFrom(context.WithoutCancel(egctx), displayCh)
		return nil
	})
	err = eg.Wait()
	if exportSpan != nil {
		tracing.End(exportSpan, err)
	}
	if err != nil {
		return nil, err
	}
	run, reused := steps.counts()
	return &BuildResult{
		Digest:      resp.ExporterResponse[exptypes.ExporterImageDigestKey],
		Duration:    took,
		Pushed:      req.Push != "",
		StepsRun:    run,
		StepsReused: reused,
	}, nil
}

// layerAttrs adds the exporters' layer settings: OCI media types and one
// compression for every layer (base layers included, recompressed), so both
// exports and the cache manifest share blobs, a runner unpacks a single
// format and, with estargz, every layer carries its TOC digest annotation
// (containerd.io/snapshot/stargz/toc.digest) for a lazy start.
func (b *BuildKit) layerAttrs(attrs map[string]string) map[string]string {
	attrs["oci-mediatypes"] = "true"
	attrs["compression"] = b.compression()
	attrs["force-compression"] = "true"
	return attrs
}

func (b *BuildKit) compression() string {
	if b.Compression == "" {
		return CompressionEStargz
	}
	return b.Compression
}

func (b *BuildKit) mode() progressui.DisplayMode {
	if b.Progress == "" {
		return progressui.AutoMode
	}
	return b.Progress
}

func (b *BuildKit) progressOut() io.Writer {
	if b.ProgressOut == nil {
		return io.Discard
	}
	return b.ProgressOut
}

// recordBuildTime adds BuildSecondsLabel to every image config in the
// result's metadata (one per platform for multi-platform builds).
func recordBuildTime(res *gwclient.Result, took time.Duration) error {
	secs := strconv.FormatFloat(took.Seconds(), 'f', 1, 64)
	for k, v := range res.Metadata {
		if k != exptypes.ExporterImageConfigKey && !strings.HasPrefix(k, exptypes.ExporterImageConfigKey+"/") {
			continue
		}
		patched, err := setLabel(v, BuildSecondsLabel, secs)
		if err != nil {
			return fmt.Errorf("recording build time in %s: %w", k, err)
		}
		res.Metadata[k] = patched
	}
	return nil
}

// setLabel sets config.Labels[key] in an image config JSON, keeping every
// other field as it was.
func setLabel(configJSON []byte, key, value string) ([]byte, error) {
	var img map[string]json.RawMessage
	if err := json.Unmarshal(configJSON, &img); err != nil {
		return nil, err
	}
	cfg := map[string]json.RawMessage{}
	if raw, ok := img["config"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, err
		}
	}
	labels := map[string]string{}
	if raw, ok := cfg["Labels"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &labels); err != nil {
			return nil, err
		}
	}
	labels[key] = value
	var err error
	if cfg["Labels"], err = json.Marshal(labels); err != nil {
		return nil, err
	}
	if img["config"], err = json.Marshal(cfg); err != nil {
		return nil, err
	}
	return json.Marshal(img)
}
