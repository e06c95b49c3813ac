// Package devcontainer is the devcontainer.json model: JSONC parsing that keeps
// byte positions (so errors and LLB source maps can point at a line), typed
// decoding of the properties that affect a built image, and the build-time
// variable substitution of the reference CLI (${localEnv:…},
// ${localWorkspaceFolder}, …).
//
// Unknown properties are ignored, as the specification says; a known property
// with a wrong JSON type is an error located at that property's value.
package devcontainer
