// Package frontend is devcache's BuildKit frontend: it turns a Dev Container
// configuration (devcontainer.json, image or Dockerfile, plus Features) into
// LLB and an image whose devcontainer.metadata label matches the reference
// CLI's, keyed by devcache's cache key.
//
// The tree, from the model up to the gateway:
//
//	devcontainer  devcontainer.json model, JSONC parsing with positions, variable substitution
//	features      Feature references, devcontainer-feature.json, options, install order,
//	              lockfile, install scripts, content digests; the Resolver interface
//	metadata      the devcontainer.metadata label
//	cachekey      the cache key and its labels (shared with the devcache CLI)
//	hostkey       the same key computed on the host, without BuildKit
//	llbgen        pure LLB + image config generation
//	builder       the gateway BuildFunc: dockerui, Feature resolvers, base image or Dockerfile
//
// cmd/devcache-frontend runs builder.Build under BuildKit; any BuildKit
// client can also run it in-process with client.Build.
package frontend
