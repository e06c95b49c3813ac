// Package runner runs one prebuild: it gets the Dev Container image (the
// image cache, step 1), runs initializeCommand on the host, starts the
// container in containerd on the devcache snapshotter with the workspace
// folder mounted, runs onCreateCommand, updateContentCommand and the
// automations a prebuild triggers, stops the container, captures it
// (rootfs changes + workspace folder) with devcache-snapshotter's capture,
// pushes it to projects/<project>/prebuild and records it in the registry.
//
// The phases (prebuild/phase) are saved in the in-flight store while it
// runs. Timeouts: execution (image, commands), snapshotting and overall; a
// timeout or a failed step fails the prebuild, records it with the step logs
// and removes its container.
package runner
