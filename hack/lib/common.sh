#!/usr/bin/env bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file
# Shared settings for devcache's hack/ scripts. Source it; do not run it.
#
# Everything the stack needs lives under two folders:
#   DEVCACHE_CACHE  built tools and base-image tarballs, kept between runs
#   DEVCACHE_STATE  sockets, data, logs and pid files of the running stack
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "${HACK_DIR}/.." && pwd)"
DEVCACHE_CACHE="${DEVCACHE_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/devcache}"
DEVCACHE_STATE="${DEVCACHE_STATE:-/var/lib/devcache-stack}"
DEVCACHE_REGISTRY_PORT="${DEVCACHE_REGISTRY_PORT:-5765}"

# Pinned versions of the tools built from the Go module proxy (hack/tools/go.mod
# is the source of truth; these only feed -ldflags version strings).
BUILDKIT_VERSION=v0.34.2
BUILDX_VERSION=v0.38.2
DISTRIBUTION_VERSION=v3.1.2
CONTAINERD_VERSION=v2.4.2
# The reference Dev Containers CLI the frontend is compared against (npm).
DEVCONTAINERS_CLI_VERSION=0.89.0
DEVCONTAINERS_CLI="${DEVCACHE_CACHE}/devcontainers-cli-${DEVCONTAINERS_CLI_VERSION}/node_modules/@devcontainers/cli/devcontainer.js"

# TOOLS_BIN is keyed by the tools module's go.sum, so a pin change rebuilds.
tools_key() { cat "${HACK_DIR}/tools/go.mod" "${HACK_DIR}/tools/go.sum" | sha256sum | cut -c1-12; }
TOOLS_BIN="${DEVCACHE_CACHE}/tools-$(tools_key)/bin"
# SEAWEEDFS_BIN holds weed, keyed the same way by its own tools module.
seaweedfs_key() { cat "${HACK_DIR}/tools/seaweedfs/go.mod" "${HACK_DIR}/tools/seaweedfs/go.sum" | sha256sum | cut -c1-12; }
SEAWEEDFS_BIN="${DEVCACHE_CACHE}/seaweedfs-$(seaweedfs_key)/bin"
# GOLANGCI_LINT_BIN holds golangci-lint, keyed the same way by its own tools module.
golangci_lint_key() { cat "${HACK_DIR}/tools/golangci-lint/go.mod" "${HACK_DIR}/tools/golangci-lint/go.sum" | sha256sum | cut -c1-12; }
GOLANGCI_LINT_BIN="${DEVCACHE_CACHE}/golangci-lint-$(golangci_lint_key)/bin"
export PATH="${TOOLS_BIN}:${SEAWEEDFS_BIN}:${PATH}"
# buildx looks for itself as a docker CLI plugin under DOCKER_CONFIG; keep the
# project's docker config apart from the user's.
export DOCKER_CONFIG="${DOCKER_CONFIG:-${DEVCACHE_STATE}/docker}"
export BUILDX_CONFIG="${BUILDX_CONFIG:-${DEVCACHE_STATE}/buildx}"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
need_root() { [[ ${EUID} -eq 0 ]] || die "$1 needs root (overlayfs, runc and containerd do)"; }
