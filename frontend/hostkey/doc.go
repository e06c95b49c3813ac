// Package hostkey computes a workspace's cache key on the runner host,
// without BuildKit, for the devcache CLI: the same inputs the frontend labels
// the image with (frontend/cachekey), resolved with the same rules
// (frontend/features: install order, folder digests, archive metadata,
// lockfile pins) and the same registry client (frontend/features/registry).
package hostkey
