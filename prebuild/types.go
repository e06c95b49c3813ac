package prebuild

import (
	"context"
	"time"

	"github.com/devcache/devcache/prebuild/phase"
)

// Trigger says what started a prebuild.
type Trigger string

const (
	// TriggerManual is `devcache prebuild run`; it runs as the user who
	// asked for it.
	TriggerManual Trigger = "manual"
	// TriggerSchedule is the daily schedule; it runs as the project's creator.
	TriggerSchedule Trigger = "schedule"
	// TriggerPush is a push to a configured branch (webhook or polling);
	// it runs as the project's creator.
	TriggerPush Trigger = "push"
)

// Prebuild is one prebuild as the registry records it: a tag in
// projects/<project>/prebuild and the annotations of its manifest.
type Prebuild struct {
	// ID is the tag (sortable: creation time, then a random suffix).
	ID string `json:"id"`
	// Project owns the prebuild.
	Project string `json:"project"`
	// Reference is the image pinned by digest.
	Reference string `json:"reference"`
	// Phase is Completed or Failed for a recorded prebuild.
	Phase phase.Phase `json:"phase"`
	// Reason says why a failed prebuild failed.
	Reason string `json:"reason,omitempty"`
	// EnvironmentClass is the class the prebuild ran on.
	EnvironmentClass string `json:"environmentClass"`
	// ConfigKey is the Dev Container cache key of the image it ran on.
	ConfigKey string `json:"configKey,omitempty"`
	// Commit is the source revision the setup ran on.
	Commit string `json:"commit,omitempty"`
	// Trigger and User record who started it (the user for manual
	// prebuilds, the project's creator for scheduled ones).
	Trigger Trigger `json:"trigger,omitempty"`
	User    string  `json:"user,omitempty"`
	// Created is when the prebuild was recorded.
	Created time.Time `json:"created"`
	// SetupSeconds is how long the setup (image, initialize, onCreate,
	// updateContent, automations) took: what an environment saves.
	SetupSeconds float64 `json:"setupSeconds,omitempty"`
	// Parent is the prebuild an incremental prebuild was built on ("" for
	// a full one); Generation counts the incremental prebuilds since the
	// last full one (0 for a full one).
	Parent     string `json:"parent,omitempty"`
	Generation int    `json:"generation,omitempty"`
	// Transitions are the phases it went through, with their times.
	Transitions []phase.Transition `json:"transitions,omitempty"`
	// Size is the data the prebuild stores: the compressed bytes of the
	// layers it added (not the volume size, not the base image).
	Size int64 `json:"size"`
}

// Catalog is where prebuilds are recorded: the registry, so that every runner
// host sees the same prebuilds.
type Catalog interface {
	// List returns the project's prebuilds, newest first.
	List(ctx context.Context, project string) ([]Prebuild, error)
	// Delete removes a prebuild.
	Delete(ctx context.Context, p Prebuild) error
}

// Recorder writes a finished prebuild to the registry.
type Recorder interface {
	// Complete records a captured prebuild (the image at captured, pushed
	// under CaptureTag(p.ID), carrying no phase: never selected) as
	// Completed under the tag p.ID, with p's annotations.
	Complete(ctx context.Context, p Prebuild, captured string) (Prebuild, error)
	// Fail records a failed prebuild under p.ID with its reason and the
	// step logs (kept for debugging, never selected).
	Fail(ctx context.Context, p Prebuild, logs []phase.StepLog) (Prebuild, error)
}

// Image is the Dev Container image a prebuild runs on (step 1).
type Image struct {
	// Ref is the image reference the runtime pulls.
	Ref string
	// ConfigKey is its cache key ("" when unknown).
	ConfigKey string
	// BuildSeconds is how long getting it took (or the recorded build time
	// of a cache hit).
	BuildSeconds float64
}

// ImageSource gets the image of a workspace: the image cache (a prebuild is
// an environment creation, so it may push), or a fixed image.
type ImageSource interface {
	Image(ctx context.Context, project, workspaceFolder, configFile string) (*Image, error)
}
