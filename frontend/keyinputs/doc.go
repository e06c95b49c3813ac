// Package keyinputs gathers the cache key's inputs of a devcontainer.json
// once, for the frontend (through the BuildKit gateway, frontend/builder)
// and for the devcache CLI (on the runner host, frontend/hostkey). Each of
// them provides only a Source — how files next to the configuration are
// read, how Features and image digests are fetched — as BuildKit's
// Dockerfile frontend takes a MetaResolver (dockerfile2llb.ConvertOpt).
//
// The rules both sides must agree on live here or in frontend/features:
// the lockfile's name and its pins, the checks on an OCI Feature's manifest,
// the metadata of local, tarball and OCI Features, and the normalisation of
// "image" (reference.ParseNormalizedNamed, tag "latest" by default).
package keyinputs
