//go:build linux

package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/internal/registry"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/container"
	"github.com/devcache/devcache/prebuild/lifecycle"
	"github.com/devcache/devcache/prebuild/phase"
)

// InFlight is the store of running prebuilds (prebuild/inflight).
type InFlight interface {
	phase.Store
	Delete(ctx context.Context, id string) error
}

// Timeouts bound a prebuild. The caller validates the execution timeout
// (prebuild.ExecutionTimeout); zero values take the defaults.
type Timeouts struct {
	// Execution covers the image, initializeCommand, the container start
	// and the commands.
	Execution time.Duration
	// Snapshot covers stopping, capturing and pushing.
	Snapshot time.Duration
	// Overall covers everything.
	Overall time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	if t.Execution == 0 {
		t.Execution = prebuild.DefaultExecutionTimeout
	}
	if t.Snapshot == 0 {
		t.Snapshot = prebuild.SnapshotTimeout
	}
	if t.Overall == 0 {
		t.Overall = prebuild.OverallTimeout
	}
	return t
}

// Runner runs prebuilds on one runner host.
type Runner struct {
	Client *containerd.Client
	// Namespace is the containerd namespace of prebuild containers.
	Namespace string
	// Snapshotter is the devcache snapshotter's name in containerd.
	Snapshotter string
	// Images gets the Dev Container image (step 1).
	Images prebuild.ImageSource
	// Recorder records finished prebuilds in the registry.
	Recorder prebuild.Recorder
	// Catalog lists prebuilds (for incremental prebuilds).
	Catalog prebuild.Catalog
	// InFlight saves the phases while a prebuild runs (nil: not saved).
	InFlight InFlight
	// Registry is the host (registry or devcache-proxy) prebuilds are
	// pushed to; Insecure lists the registries reached over plain HTTP
	// besides loopback, localhost and *.localhost.
	Registry string
	Insecure registry.Insecure
	// Pull authenticates image pulls; Remote authenticates the capture's
	// reads and push (remote.WithAuth with the project's create
	// credentials).
	Pull   container.PullOptions
	Remote []remote.Option
	// StateDir holds the prebuilds' working copies and layer files.
	StateDir string
	// HostNetwork gives prebuild containers the host's network.
	HostNetwork bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// StopGrace is how long the container may take to stop (default 10 s).
	StopGrace time.Duration
}

// Request is one prebuild to run.
type Request struct {
	Project          string
	EnvironmentClass string
	Commit           string
	Trigger          prebuild.Trigger
	// User is who the prebuild runs as: the user for a manual prebuild,
	// the project's creator for a scheduled one.
	User string
	// WorkspaceFolder is the checkout on the host; it is copied, never
	// changed.
	WorkspaceFolder string
	// ConfigFile is the devcontainer.json.
	ConfigFile string
	// ContainerWorkspace is where the workspace is in the container
	// (default /workspaces/<base name of WorkspaceFolder>).
	ContainerWorkspace string
	// AutomationsFile defaults to <workspace>/.ona/automations.yaml.
	AutomationsFile string
	// Secrets are filtered to organization and project secrets.
	Secrets  lifecycle.Secrets
	Timeouts Timeouts
	// Incremental builds on the class's current prebuild when it ran on
	// the same Dev Container key (a new commit): the new checkout replaces
	// its workspace, then updateContentCommand and the automations run;
	// onCreateCommand does not. Otherwise the prebuild is a full one.
	Incremental bool
}

// Result is a finished prebuild.
type Result struct {
	Prebuild prebuild.Prebuild
	Record   phase.Record
}

var (
	errExecutionTimeout = errors.New("execution timed out")
	errSnapshotTimeout  = errors.New("snapshotting timed out")
	errOverallTimeout   = errors.New("prebuild timed out")
)

// Run runs one prebuild to Completed or Failed. Both are recorded in the
// registry; the error is non-nil for Failed.
func (r *Runner) Run(ctx context.Context, req Request) (*Result, error) {
	now := r.now()
	t := req.Timeouts.withDefaults()
	if req.ContainerWorkspace == "" {
		req.ContainerWorkspace = "/workspaces/" + filepath.Base(req.WorkspaceFolder)
	}
	id := prebuild.NewID(now)
	ctx = namespaces.WithNamespace(ctx, r.Namespace)
	ctx = log.WithLogger(ctx, log.G(ctx).With("prebuild", id, "project", req.Project))
	opts := []phase.Opt{phase.WithClock(r.now)}
	if r.InFlight != nil {
		opts = append(opts, phase.WithStore(r.InFlight))
	}
	m, err := phase.New(ctx, id, req.Project, opts...)
	if err != nil {
		return nil, err
	}
	p := prebuild.Prebuild{
		ID: id, Project: req.Project, EnvironmentClass: req.EnvironmentClass, Commit: req.Commit,
		Trigger: req.Trigger, User: req.User, Created: now,
	}
	log.G(ctx).Info("prebuild pending", "class", req.EnvironmentClass, "commit", req.Commit, "trigger", req.Trigger, "user", req.User)

	octx, cancel := context.WithTimeoutCause(ctx, t.Overall, fmt.Errorf("%w after %s", errOverallTimeout, t.Overall))
	defer cancel()
	j := &job{r: r, req: req, t: t, m: m, p: p, work: filepath.Join(r.StateDir, "prebuilds", id)}
	defer j.cleanup(ctx)
	captured, runErr := j.run(octx)

	var res *Result
	if runErr == nil {
		j.p.SetupSeconds = j.setup.Seconds()
		if j.prev != nil {
			// A start from scratch would run the whole setup, which the
			// parent measured.
			j.p.SetupSeconds = max(j.p.SetupSeconds, j.prev.SetupSeconds)
		}
		j.p.Transitions = append(m.Record().Transitions, phase.Transition{Phase: phase.Completed, At: r.now()})
		rec, err := r.Recorder.Complete(octx, j.p, captured)
		if err == nil {
			if err = m.To(ctx, phase.Completed); err == nil {
				rec.Transitions = m.Record().Transitions
				res = &Result{Prebuild: rec, Record: m.Record()}
				log.G(ctx).Info("prebuild completed", "reference", rec.Reference, "setup", j.setup.Round(time.Millisecond), "size", rec.Size)
			}
		}
		runErr = err
	}
	if runErr != nil {
		return j.fail(ctx, runErr)
	}
	return res, nil
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

// fail records the prebuild as Failed (with the logs of its steps) and
// returns the error with the record.
func (j *job) fail(ctx context.Context, cause error) (*Result, error) {
	ctx = context.WithoutCancel(ctx)
	reason := cause.Error()
	_ = j.m.Fail(ctx, reason)
	rec := j.m.Record()
	j.p.Reason, j.p.Transitions = reason, rec.Transitions
	log.G(ctx).Error("prebuild failed", "reason", reason)
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	p, err := j.r.Recorder.Fail(rctx, j.p, rec.Steps)
	if err != nil {
		log.G(ctx).Error("could not record the failed prebuild", "error", err)
		p = j.p
	}
	return &Result{Prebuild: p, Record: rec}, fmt.Errorf("prebuild %s failed: %w", j.p.ID, cause)
}

func (j *job) cleanup(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if j.ctr != nil {
		if err := j.ctr.Remove(ctx); err != nil {
			log.G(ctx).Warn("removing the prebuild container", "error", err)
		}
	}
	if err := os.RemoveAll(j.work); err != nil {
		log.G(ctx).Warn("removing the prebuild's working copy", "error", err)
	}
	if j.r.InFlight != nil {
		if err := j.r.InFlight.Delete(ctx, j.p.ID); err != nil {
			log.G(ctx).Warn("forgetting the in-flight prebuild", "error", err)
		}
	}
}
