// Package hostkey computes a workspace's cache key on the runner host,
// without BuildKit, for the devcache CLI. It provides only a
// keyinputs.Source (files from disk, tarballs over HTTP, manifests and
// blobs with frontend/features/registry); what is collected and by which
// rules is frontend/keyinputs, the same code the frontend runs.
package hostkey
