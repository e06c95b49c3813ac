package imagecache

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/docker/cli/cli/config/types"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"

	"github.com/devcache/devcache/frontend/builder"
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
}

var _ Builder = (*BuildKit)(nil)

// Build solves the configuration with the frontend (gateway.v0) and records
// the build's duration on the image config (BuildSecondsLabel) before the
// image exporter pushes it, so the push carries the build time in one step.
func (b *BuildKit) Build(ctx context.Context, req BuildRequest) (*BuildResult, error) {
	contextFS, err := fsutil.NewFS(req.ContextDir)
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", req.ContextDir, err)
	}
	configFS, err := fsutil.NewFS(req.ConfigDir)
	if err != nil {
		return nil, fmt.Errorf("configuration folder %s: %w", req.ConfigDir, err)
	}

	opts := map[string]string{"filename": req.ConfigFile}
	for k, v := range req.FrontendOpts {
		opts[k] = v
	}
	solveOpt := bkclient.SolveOpt{
		FrontendAttrs: opts,
		LocalMounts:   map[string]fsutil.FS{"context": contextFS, "dockerfile": configFS},
		Session:       []session.Attachable{authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{AuthConfigProvider: staticAuth(req.Auth)})},
	}
	if req.Push != "" {
		solveOpt.Exports = append(solveOpt.Exports, bkclient.ExportEntry{
			Type:  bkclient.ExporterImage,
			Attrs: map[string]string{"name": req.Push, "push": "true", "oci-mediatypes": "true"},
		})
	}
	if req.ExportOCI != nil {
		solveOpt.Exports = append(solveOpt.Exports, bkclient.ExportEntry{
			Type:   bkclient.ExporterOCI,
			Output: func(map[string]string) (io.WriteCloser, error) { return req.ExportOCI(ctx) },
		})
	}

	var took time.Duration
	buildFunc := func(ctx context.Context, c gwclient.Client) (*gwclient.Result, error) {
		start := time.Now()
		var res *gwclient.Result
		var err error
		if b.FrontendImage == "" {
			res, err = builder.Build(ctx, c)
		} else {
			gwOpts := maps.Clone(opts)
			gwOpts["source"] = b.FrontendImage
			res, err = c.Solve(ctx, gwclient.SolveRequest{Frontend: "gateway.v0", FrontendOpt: gwOpts, Evaluate: true})
		}
		if err != nil {
			return nil, err
		}
		took = time.Since(start)
		return res, recordBuildTime(res, took)
	}

	ch := make(chan *bkclient.SolveStatus)
	display, err := progressui.NewDisplay(b.progressOut(), b.mode())
	if err != nil {
		return nil, fmt.Errorf("progress display: %w", err)
	}
	var resp *bkclient.SolveResponse
	eg, egctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		var err error
		resp, err = b.Client.Build(egctx, solveOpt, "devcache", buildFunc, ch)
		return err
	})
	eg.Go(func() error {
		// The display ends when the build closes ch; its own errors never fail the build.
		_, _ = display.UpdateFrom(context.WithoutCancel(egctx), ch)
		return nil
	})
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return &BuildResult{
		Digest:   resp.ExporterResponse[exptypes.ExporterImageDigestKey],
		Duration: took,
		Pushed:   req.Push != "",
	}, nil
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

// staticAuth answers BuildKit's credential requests from a fixed list.
func staticAuth(creds []HostCredentials) authprovider.AuthConfigProvider {
	return func(_ context.Context, host string, _ []string, _ authprovider.ExpireCachedAuthCheck) (types.AuthConfig, error) {
		for _, c := range creds {
			if c.Host == host {
				return types.AuthConfig{ServerAddress: host, Username: c.Username, Password: c.Password}, nil
			}
		}
		return types.AuthConfig{}, nil
	}
}
