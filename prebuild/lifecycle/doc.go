// Package lifecycle runs devcontainer.json lifecycle commands as the Dev
// Containers spec defines them:
//
//   - a string runs through a shell (/bin/sh -c);
//   - an array runs directly, without a shell;
//   - an object runs each of its entries (each a string or an array) in
//     parallel; the command fails if any entry fails.
//
// initializeCommand runs on the host, in the workspace folder; every other
// hook runs in the container. Hooks are collected as the reference CLI does:
// the Features' hooks (from the devcontainer.metadata image label) first, the
// devcontainer.json's last.
//
// Secrets reach commands as environment variables of the processes and as
// files on a mount outside the container's filesystem, never in a layer.
package lifecycle
