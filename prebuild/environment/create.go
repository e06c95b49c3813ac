package environment

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/container"
	"github.com/devcache/devcache/prebuild/lifecycle"
)

// Creator starts environments on one runner host.
type Creator struct {
	Client      *containerd.Client
	Namespace   string
	Snapshotter string
	// Catalog lists the project's prebuilds (nil: never use one).
	Catalog prebuild.Catalog
	// Images gets the Dev Container image for a start from scratch.
	Images prebuild.ImageSource
	Pull   container.PullOptions
	// HostNetwork gives containers the host's network.
	HostNetwork bool
	// StateDir holds the environments' secret files (mounted read-only at
	// lifecycle.SecretsDir).
	StateDir string
	Now      func() time.Time
}

// Request is one environment to start.
type Request struct {
	// ID names the container.
	ID               string
	Project          string
	EnvironmentClass string
	WorkspaceFolder  string
	ConfigFile       string
	// ContainerWorkspace defaults to /workspaces/<base name>.
	ContainerWorkspace string
	// Secrets are the user's environment's secrets (all scopes).
	Secrets lifecycle.Secrets
	// NoPrebuild starts from scratch even when a prebuild exists.
	NoPrebuild bool
	// Ref is the branch, tag or commit the environment starts at (""
	// for the prebuild's or the workspace folder's). It is resolved on
	// Remote before anything starts; a prebuild's workspace is brought to
	// it with git, a start from scratch gets a checkout of it.
	Ref string
	// Remote is the project's git remote (default: the workspace
	// folder's origin).
	Remote string
}

// Result is a started environment.
type Result struct {
	Container *container.Container `json:"-"`
	// Prebuild is the prebuild it started from (nil: from scratch).
	Prebuild *prebuild.Prebuild `json:"prebuild,omitempty"`
	// Reason says why no prebuild was used.
	Reason string `json:"reason,omitempty"`
	// Commit is the commit the environment started at (with Ref); Behind
	// is how many commits the prebuild's was behind it (-1: unknown).
	Commit string `json:"commit,omitempty"`
	Behind int    `json:"behind,omitempty"`
	// Steps are the lifecycle commands that ran, in order.
	Steps []string `json:"steps"`
	// Ready is the time from the request until the lifecycle commands
	// finished; FirstCommand until a command then ran in the container.
	Ready        time.Duration `json:"ready"`
	FirstCommand time.Duration `json:"firstCommand"`
	// WaitFor is the hook the environment was ready after; the later
	// hooks run in the background until Wait returns.
	WaitFor lifecycle.Hook `json:"waitFor"`

	rest    chan struct{}
	restErr error
}

// Wait waits for the lifecycle commands after waitFor (Steps is complete
// then) and returns the first failure.
func (r *Result) Wait() error {
	if r.rest != nil {
		<-r.rest
	}
	return r.restErr
}

// Create starts the environment; on error nothing is left running.
func (c *Creator) Create(ctx context.Context, req Request) (_ *Result, err error) {
	start := time.Now()
	ctx = namespaces.WithNamespace(ctx, c.Namespace)
	if req.ContainerWorkspace == "" {
		req.ContainerWorkspace = "/workspaces/" + filepath.Base(req.WorkspaceFolder)
	}
	res := &Result{}
	at, err := c.resolveRef(ctx, &req)
	if err != nil {
		return nil, err
	}
	pb, reason := c.pick(ctx, req)
	if pb != nil && at != nil {
		pb, reason = at.keep(ctx, pb, req)
	}
	res.Reason = reason
	if pb == nil && at != nil {
		// From scratch at the commit: a checkout of it, not the folder.
		if err := at.checkout(ctx, &req, filepath.Join(c.StateDir, "environments", req.ID)); err != nil {
			return nil, err
		}
	}
	data, err := at.config(ctx, req)
	if err != nil {
		return nil, err
	}
	cfg, err := devcontainer.Parse(req.ConfigFile, data)
	if err != nil {
		return nil, err
	}
	lr := &lifecycle.Runner{Host: lifecycle.Host{BaseEnv: os.Environ()}, HostDir: req.WorkspaceFolder, ContainerDir: req.ContainerWorkspace, Env: req.Secrets.Env()}
	done := func(r lifecycle.Result) {
		res.Steps = append(res.Steps, r.Step.Name())
		log.G(ctx).Info("step", "step", r.Step.Name(), "exit", r.ExitCode, "duration", r.Duration.Round(time.Millisecond))
	}

	var (
		ref    string
		hooks  []lifecycle.Hook
		mounts []specs.Mount
	)
	if pb != nil {
		res.Prebuild = pb
		ref = pb.Reference
		log.G(ctx).Info(fmt.Sprintf("using prebuild %s (setup would have taken ~%s without it)", pb.ID, (time.Duration(pb.SetupSeconds)*time.Second).String()),
			"prebuild", pb.ID, "reference", pb.Reference, "created", pb.Created, "commit", pb.Commit, "saved-seconds", pb.SetupSeconds)
		hooks = lifecycle.UserHooks
	} else {
		log.G(ctx).Info(reason + ": normal start")
		img, err := c.Images.Image(ctx, req.Project, req.WorkspaceFolder, req.ConfigFile)
		if err != nil {
			return nil, fmt.Errorf("getting the dev container image: %w", err)
		}
		ref = img.Ref
		hs, err := lifecycle.Collect("", cfg)
		if err != nil {
			return nil, err
		}
		if err := lr.RunAll(ctx, hs.Steps(lifecycle.Initialize), done); err != nil {
			return nil, err
		}
		hooks = append(append([]lifecycle.Hook{}, lifecycle.PrebuildHooks...), lifecycle.UserHooks...)
		mounts = []specs.Mount{{Destination: req.ContainerWorkspace, Type: "bind", Source: req.WorkspaceFolder, Options: []string{"rbind", "rw"}}}
	}
	var secretDir string
	if req.Secrets.HasFiles() {
		secretDir = filepath.Join(c.StateDir, "environments", req.ID, "secrets")
		if err := req.Secrets.WriteFiles(secretDir); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				_ = os.RemoveAll(secretDir)
			}
		}()
		mounts = append(mounts, specs.Mount{Destination: lifecycle.SecretsDir, Type: "bind", Source: secretDir, Options: []string{"rbind", "ro"}})
	}
	img, err := container.Pull(ctx, c.Client, ref, c.Pull)
	if err != nil {
		return nil, err
	}
	label, err := container.Label(ctx, img, lifecycle.MetadataLabel)
	if err != nil {
		return nil, err
	}
	hs, err := lifecycle.Collect(label, cfg)
	if err != nil {
		return nil, err
	}
	if lr.User, err = lifecycle.RemoteUser(label, cfg); err != nil {
		return nil, err
	}
	ctr, err := container.Start(ctx, c.Client, container.Spec{ID: req.ID, Image: img, Snapshotter: c.Snapshotter, Mounts: mounts, HostNetwork: c.HostNetwork})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = ctr.Remove(context.WithoutCancel(ctx))
		}
	}()
	lr.Container = ctr
	settings, err := lifecycle.ReadSettings(label, cfg)
	if err != nil {
		return nil, err
	}
	if err := matchUID(ctx, ctr, lr.User, req.ContainerWorkspace, settings); err != nil {
		return nil, err
	}
	if pb != nil && at != nil {
		changed, err := at.sync(ctx, ctr, pb, req, res)
		if err != nil {
			return nil, err
		}
		if changed {
			// New content: updateContentCommand, as the spec says; never
			// onCreateCommand (the prebuild ran it).
			hooks = append([]lifecycle.Hook{lifecycle.UpdateContent}, hooks...)
		}
	}
	if lr.Env, err = sessionEnv(ctx, ctr, lr.User, settings, req); err != nil {
		return nil, err
	}
	now, later := splitAtWaitFor(hooks, settings.WaitFor)
	for _, h := range now {
		if err := lr.RunAll(ctx, hs.Steps(h), done); err != nil {
			return nil, err
		}
	}
	res.Ready = time.Since(start)
	res.WaitFor = settings.WaitFor
	if _, err := ctr.Exec(ctx, lifecycle.Process{Args: []string{"/bin/sh", "-c", "true"}, Output: discard{}}); err != nil {
		return nil, err
	}
	res.FirstCommand = time.Since(start)
	res.Container = ctr
	log.G(ctx).Info("environment ready", "container", req.ID, "wait-for", settings.WaitFor, "ready", res.Ready.Round(time.Millisecond), "first-command", res.FirstCommand.Round(time.Millisecond))
	res.rest = make(chan struct{})
	go func() {
		defer close(res.rest)
		for _, h := range later {
			if res.restErr = lr.RunAll(ctx, hs.Steps(h), done); res.restErr != nil {
				log.G(ctx).Error("lifecycle command after waitFor failed", "error", res.restErr)
				break
			}
		}
		if secretDir != "" {
			// The commands that needed them have ended.
			if err := os.RemoveAll(secretDir); err != nil {
				log.G(ctx).Warn("removing the secret files", "error", err)
			}
		}
	}()
	if len(later) == 0 {
		<-res.rest
	}
	return res, nil
}

// pick selects the prebuild, or says why there is none (best effort: a
// catalog that cannot be read means a normal start).
func (c *Creator) pick(ctx context.Context, req Request) (*prebuild.Prebuild, string) {
	switch {
	case req.NoPrebuild:
		return nil, "prebuilds not wanted for this environment"
	case c.Catalog == nil || req.Project == "":
		return nil, "no prebuild catalog for this environment"
	}
	list, err := c.Catalog.List(ctx, req.Project)
	if err != nil {
		log.G(ctx).Warn("could not list prebuilds", "error", err)
		return nil, "prebuilds could not be listed"
	}
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	p, ok := prebuild.Select(list, req.EnvironmentClass, now)
	if !ok {
		return nil, fmt.Sprintf("no successful prebuild of environment class %q in project %s", req.EnvironmentClass, req.Project)
	}
	return &p, ""
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
