// Package frontend turns a Dev Container configuration into LLB: the
// devcontainer.json model and its JSONC parsing, Features (resolve, order,
// options), LLB generation, the devcontainer.metadata label and the cache key.
package frontend
