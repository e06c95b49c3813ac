// Package builder is devcache-frontend's BuildKit gateway entry point:
// Build reads devcontainer.json through dockerui (so buildx -f, named
// contexts, --label, --platform and --call behave as for Dockerfiles),
// resolves the base and the Features through the gateway client, generates
// LLB with frontend/llbgen and returns one image per target platform with
// the devcontainer.metadata and cache-key labels.
package builder
