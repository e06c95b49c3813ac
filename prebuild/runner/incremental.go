//go:build linux

package runner

import (
	"context"
	"fmt"
	"strconv"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild"
)

// MaxGenerations bounds how many incremental prebuilds are stacked on a full
// one before the next prebuild starts over (each adds layers to the chain).
const MaxGenerations = 5

// sourceDir is where an incremental prebuild mounts the new checkout
// (read-only) to sync it into the previous prebuild's workspace.
const sourceDir = "/run/devcache/source"

// parent picks the prebuild an incremental prebuild builds on: the one an
// environment of the class would start from, if it ran on the same Dev
// Container key and the chain is not too long. reason says why not.
func (j *job) parent(ctx context.Context) (*prebuild.Prebuild, string) {
	if j.r.Catalog == nil {
		return nil, "no catalog"
	}
	list, err := j.r.Catalog.List(ctx, j.req.Project)
	if err != nil {
		log.G(ctx).Warn("listing prebuilds for an incremental prebuild", "error", err)
		return nil, "prebuilds could not be listed"
	}
	prev, ok := prebuild.Select(list, j.req.EnvironmentClass, j.r.now())
	switch {
	case !ok:
		return nil, "no successful prebuild of the class"
	case prev.ConfigKey == "" || prev.ConfigKey != j.image.ConfigKey:
		return nil, fmt.Sprintf("the Dev Container key changed (%q → %q)", prev.ConfigKey, j.image.ConfigKey)
	case prev.Generation+1 >= MaxGenerations:
		return nil, fmt.Sprintf("%s is generation %d: starting over", prev.ID, prev.Generation)
	}
	return &prev, ""
}

// syncScript replaces the workspace in the container with the new checkout.
// Removing and recreating the folder makes it opaque in the overlay, so files
// deleted since the parent do not come back from its layers.
func syncScript(workspace string) []string {
	q := strconv.Quote(workspace)
	return []string{"/bin/sh", "-c", "set -e; rm -rf " + q + "; mkdir -p " + q + "; cp -a " + sourceDir + "/. " + q + "/"}
}

// parentOrFull returns the parent of an incremental prebuild, or nil (with
// the reason logged) for a full one.
func (j *job) parentOrFull(ctx context.Context) (*prebuild.Prebuild, error) {
	prev, reason := j.parent(ctx)
	if prev == nil {
		log.G(ctx).Info("full prebuild instead of an incremental one", "reason", reason)
		return nil, nil
	}
	log.G(ctx).Info("incremental prebuild", "parent", prev.ID, "generation", prev.Generation+1)
	return prev, nil
}
