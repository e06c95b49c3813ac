// Package llbgen turns a parsed devcontainer.json, a base (image or
// Dockerfile result) and resolved Features into LLB and an image config.
// It is a pure function of its inputs: no BuildKit client, so it is unit
// tested by decoding the marshalled ops, and the same inputs always marshal
// to byte-identical definitions.
//
// The layout follows the Dockerfile the reference CLI generates: a builtin
// env file with _CONTAINER_USER/_REMOTE_USER (+ _HOME), then one exec per
// Feature in install order, each with that Feature's containerEnv and its
// staged files mounted read-only, so a change to one Feature only re-runs
// its own step and the ones after it. The image user is restored, the
// configuration's containerEnv added, and the devcontainer.metadata label
// merged.
package llbgen
