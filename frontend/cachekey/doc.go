// Package cachekey computes devcache's image cache key: the one
// implementation shared by devcache-frontend (which writes it into the image)
// and the devcache CLI (which looks images up by it and explains misses).
//
// The key is sha256 over a canonical list of named inputs:
//
//	schema                 the key schema version (SchemaVersion)
//	platform               the target platform(s), normalised as containerd's
//	                       platforms package does, sorted, comma-separated
//	devcontainer.json      sha256 of the file's bytes as read
//	dockerfile             sha256 of the referenced Dockerfile's bytes (build configs)
//	image                  the manifest digest of a directly referenced image
//	feature:<id as written> the resolved digest of every installed Feature, in
//	                       install order (OCI manifest digest, tarball sha256,
//	                       digest over a local Feature folder's files)
//
// Base images named in a Dockerfile's FROM and other build-context files are
// deliberately not inputs: change the Dockerfile to force a rebuild.
//
// Every input is written as an image label next to the key, so a lookup
// that misses can be explained with Diff(FromLabels(image), inputs).
package cachekey
