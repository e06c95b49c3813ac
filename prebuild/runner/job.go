//go:build linux

package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/automations"
	"github.com/devcache/devcache/prebuild/container"
	"github.com/devcache/devcache/prebuild/lifecycle"
	"github.com/devcache/devcache/prebuild/phase"
	"github.com/devcache/devcache/snapshotter/capture"
)

// job is one prebuild while it runs.
type job struct {
	r         *Runner
	req       Request
	t         Timeouts
	m         *phase.Machine
	p         prebuild.Prebuild
	work      string
	ctr       *container.Container
	image     *prebuild.Image
	workspace string
	// base is the image the container starts from: the Dev Container
	// image, or the parent prebuild of an incremental one (prev).
	base string
	prev *prebuild.Prebuild
	// setup is the time an environment saves: the image's build time (not
	// the time to fetch it), initialize, the container start, the commands.
	setup, imageTime time.Duration
}

// run goes from Pending to Snapshotting and returns the captured reference.
func (j *job) run(ctx context.Context) (ref string, err error) {
	var spans phaseSpans
	ctx = spans.start(ctx, j.m.Record().ID, j.req.Project)
	defer func() { spans.end(err) }()
	start := time.Now()
	ectx, cancel := context.WithTimeoutCause(ctx, j.t.Execution, fmt.Errorf("%w after %s", errExecutionTimeout, j.t.Execution))
	defer cancel()
	if err := j.m.To(ctx, phase.Starting); err != nil {
		return "", err
	}
	hooks, lr, err := j.start(spans.enter(ectx, phase.Starting))
	if err != nil {
		return "", timeoutCause(ectx, err)
	}
	if err := j.m.To(ctx, phase.Running); err != nil {
		return "", err
	}
	if err := j.commands(spans.enter(ectx, phase.Running), hooks, lr); err != nil {
		return "", timeoutCause(ectx, err)
	}
	j.setup = time.Since(start) + time.Duration(j.image.BuildSeconds*float64(time.Second)) - j.imageTime
	cancel()

	sctx, cancel := context.WithTimeoutCause(ctx, j.t.Snapshot, fmt.Errorf("%w after %s", errSnapshotTimeout, j.t.Snapshot))
	defer cancel()
	if err := j.m.To(ctx, phase.Stopping); err != nil {
		return "", err
	}
	if err := j.ctr.Stop(spans.enter(sctx, phase.Stopping), j.r.stopGrace()); err != nil {
		return "", timeoutCause(sctx, fmt.Errorf("stopping the container: %w", err))
	}
	if err := j.m.To(ctx, phase.Snapshotting); err != nil {
		return "", err
	}
	ref, err = j.capture(spans.enter(sctx, phase.Snapshotting))
	return ref, timeoutCause(sctx, err)
}

// timeoutCause replaces a context error with the timeout that caused it.
func timeoutCause(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
			return fmt.Errorf("%w (%w)", cause, err)
		}
	}
	return err
}

func (r *Runner) stopGrace() time.Duration {
	if r.StopGrace == 0 {
		return 10 * time.Second
	}
	return r.StopGrace
}

// start gets the image, runs initializeCommand on the host and starts the
// container with the workspace copy and the secrets mounted.
func (j *job) start(ctx context.Context) (lifecycle.Hooks, *lifecycle.Runner, error) {
	req := j.req
	data, err := os.ReadFile(req.ConfigFile)
	if err != nil {
		return lifecycle.Hooks{}, nil, fmt.Errorf("reading %s: %w", req.ConfigFile, err)
	}
	cfg, err := devcontainer.Parse(req.ConfigFile, data)
	if err != nil {
		return lifecycle.Hooks{}, nil, err
	}
	secrets := req.Secrets.ForPrebuild()
	if err := secrets.Validate(); err != nil {
		return lifecycle.Hooks{}, nil, err
	}

	t := time.Now()
	rel, err := filepath.Rel(req.WorkspaceFolder, req.ConfigFile)
	if err != nil {
		rel = req.ConfigFile
	}
	if j.image, err = j.r.Images.Image(ctx, req.Project, req.WorkspaceFolder, rel); err != nil {
		j.step(ctx, "image", lifecycle.Result{Err: err, Duration: time.Since(t)})
		return lifecycle.Hooks{}, nil, fmt.Errorf("getting the dev container image: %w", err)
	}
	j.p.ConfigKey = j.image.ConfigKey
	j.imageTime = time.Since(t)
	log.G(ctx).Info("dev container image", "image", j.image.Ref, "key", j.image.ConfigKey, "duration", j.imageTime.Round(time.Millisecond))

	base := j.image.Ref
	if req.Incremental {
		if j.prev, err = j.parentOrFull(ctx); err != nil {
			return lifecycle.Hooks{}, nil, err
		}
		if j.prev != nil {
			base = j.prev.Reference
			j.p.Parent, j.p.Generation = j.prev.ID, j.prev.Generation+1
		}
	}
	j.base = base

	// The workspace is a copy: the prebuild never changes the checkout.
	ws := filepath.Join(j.work, "workspace")
	if err := copyTree(ctx, req.WorkspaceFolder, ws); err != nil {
		return lifecycle.Hooks{}, nil, fmt.Errorf("copying the workspace: %w", err)
	}
	lr := &lifecycle.Runner{Host: lifecycle.Host{BaseEnv: os.Environ()}, HostDir: ws, ContainerDir: req.ContainerWorkspace, Env: secrets.Env()}

	// initializeCommand: on the host, before the container exists.
	hs, err := lifecycle.Collect("", cfg)
	if err != nil {
		return lifecycle.Hooks{}, nil, err
	}
	if err := lr.RunAll(ctx, hs.Steps(lifecycle.Initialize), func(res lifecycle.Result) { j.step(ctx, "", res) }); err != nil {
		return lifecycle.Hooks{}, nil, err
	}

	img, err := container.Pull(ctx, j.r.Client, base, j.r.Pull)
	if err != nil {
		return lifecycle.Hooks{}, nil, err
	}
	label, err := container.Label(ctx, img, lifecycle.MetadataLabel)
	if err != nil {
		return lifecycle.Hooks{}, nil, err
	}
	if hs, err = lifecycle.Collect(label, cfg); err != nil {
		return lifecycle.Hooks{}, nil, err
	}
	if lr.User, err = lifecycle.RemoteUser(label, cfg); err != nil {
		return lifecycle.Hooks{}, nil, err
	}
	mounts := []specs.Mount{{Destination: req.ContainerWorkspace, Type: "bind", Source: ws, Options: []string{"rbind", "rw"}}}
	if j.prev != nil {
		// The parent's workspace is in its rootfs: sync the new checkout
		// into it, so the changes (deletions too) are captured as rootfs
		// changes.
		mounts = []specs.Mount{{Destination: sourceDir, Type: "bind", Source: ws, Options: []string{"rbind", "ro"}}}
	}
	if secrets.HasFiles() {
		dir := filepath.Join(j.work, "secrets")
		if err := secrets.WriteFiles(dir); err != nil {
			return lifecycle.Hooks{}, nil, err
		}
		mounts = append(mounts, specs.Mount{Destination: lifecycle.SecretsDir, Type: "bind", Source: dir, Options: []string{"rbind", "ro"}})
	}
	j.ctr, err = container.Start(ctx, j.r.Client, container.Spec{
		ID: "prebuild-" + j.p.ID, Image: img, Snapshotter: j.r.Snapshotter, Mounts: mounts, HostNetwork: j.r.HostNetwork,
	})
	if err != nil {
		return lifecycle.Hooks{}, nil, err
	}
	lr.Container = j.ctr
	j.workspace = ws
	if j.prev != nil {
		t := time.Now()
		var out strings.Builder
		code, err := j.ctr.Exec(ctx, lifecycle.Process{Args: syncScript(req.ContainerWorkspace), Output: &out})
		res := lifecycle.Result{Output: out.String(), ExitCode: code, Duration: time.Since(t), Err: err}
		if err == nil && code != 0 {
			res.Err = fmt.Errorf("syncing the workspace exited with %d: %s", code, out.String())
		}
		j.step(ctx, "sync workspace", res)
		if res.Err != nil {
			return lifecycle.Hooks{}, nil, res.Err
		}
	}
	return hs, lr, nil
}

// commands runs onCreate, updateContent and the automations.
func (j *job) commands(ctx context.Context, hs lifecycle.Hooks, lr *lifecycle.Runner) error {
	done := func(res lifecycle.Result) { j.step(ctx, "", res) }
	hooks := lifecycle.PrebuildHooks
	if j.prev != nil {
		hooks = []lifecycle.Hook{lifecycle.UpdateContent} // onCreate ran in the parent
	}
	for _, h := range hooks {
		if err := lr.RunAll(ctx, hs.Steps(h), done); err != nil {
			return err
		}
	}
	path := j.req.AutomationsFile
	if path == "" {
		path = filepath.Join(j.workspace, automations.DefaultPath)
	}
	f, err := automations.Load(path)
	if err != nil {
		return err
	}
	plan, err := f.PrebuildPlan()
	if err != nil || plan.Empty() {
		return err
	}
	ar := &automations.Runner{Lifecycle: lr, Done: done}
	return ar.Run(ctx, f, plan)
}

// step records a step's log in the phase record.
func (j *job) step(ctx context.Context, name string, res lifecycle.Result) {
	if name == "" {
		name = res.Step.Name()
	}
	s := phase.StepLog{Step: name, Output: res.Output, ExitCode: res.ExitCode, Seconds: res.Duration.Seconds()}
	if res.Err != nil {
		s.Error = res.Err.Error()
	}
	if err := j.m.Step(ctx, s); err != nil {
		log.G(ctx).Warn("saving a step log", "error", err)
	}
	log.G(ctx).Info("step", "step", name, "exit", res.ExitCode, "duration", res.Duration.Round(time.Millisecond))
}

// capture captures the stopped container's snapshot and the workspace and
// pushes them under the prebuild's staging tag (not recorded: no phase).
func (j *job) capture(ctx context.Context) (string, error) {
	mounts, err := j.r.Client.SnapshotService(j.r.Snapshotter).Mounts(ctx, j.ctr.SnapshotKey)
	if err != nil {
		return "", fmt.Errorf("mounts of %s: %w", j.ctr.SnapshotKey, err)
	}
	src, err := capture.SourceFromMounts(mounts)
	if err != nil {
		return "", err
	}
	tmp := filepath.Join(j.work, "capture")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return "", err
	}
	var workspaces []capture.Workspace
	if j.prev == nil {
		workspaces = []capture.Workspace{{Path: j.req.ContainerWorkspace, Dir: j.workspace}}
	}
	res, err := capture.Capture(ctx, src, capture.Options{
		Base:             j.base,
		Target:           j.r.Registry + "/" + contract.RepositoryName(j.req.Project, contract.KindPrebuild) + ":" + prebuild.CaptureTag(j.p.ID),
		Workspaces:       workspaces,
		EnvironmentClass: j.req.EnvironmentClass,
		ConfigKey:        j.image.ConfigKey,
		Created:          j.p.Created,
		Insecure:         j.r.Insecure,
		Remote:           j.r.Remote,
		TempDir:          tmp,
	})
	if err != nil {
		if errdefs.IsCanceled(err) || ctx.Err() != nil {
			return "", err
		}
		return "", fmt.Errorf("capturing the prebuild: %w", err)
	}
	log.G(ctx).Info("captured", "reference", res.Reference, "layers", len(res.Layers), "layer-time", res.LayerTime.Round(time.Millisecond), "push-time", res.PushTime.Round(time.Millisecond))
	return res.Reference, nil
}
