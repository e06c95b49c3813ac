// Package prebuild runs an environment's setup once, snapshots the whole
// container filesystem, and lets every later environment of the project start
// from that snapshot.
//
// This package holds what the implementations in its subpackages agree on:
// the Prebuild record as the registry stores it (manifest annotations on
// projects/<project>/prebuild images), the rules that pick a prebuild for an
// environment (Select) and expire old ones (Expired), the timeout limits, and
// the small interfaces the runner is assembled from:
//
//   - lifecycle: devcontainer.json lifecycle commands (string, array and
//     object forms; host and container);
//   - automations: .ona/automations.yaml-style tasks and services;
//   - phase: the phase machine (Pending … Completed | Failed), every
//     transition timed;
//   - inflight: the bbolt store of prebuilds that are still running;
//   - catalog: the registry as the source of truth (list, select, prune);
//   - runner: one prebuild in containerd with devcache-snapshotter;
//   - environment: an environment started from the selected prebuild.
package prebuild
