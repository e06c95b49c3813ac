// Package objstore keeps small JSON objects with conditional writes
// (create-if-absent, replace-if-unchanged, delete-if-unchanged) in the
// proxy's shared store: files next to the embedded registry's storage, or
// objects in its S3 bucket. Build leases and write-once tag claims live
// here, so that proxy replicas over one store agree on them atomically.
package objstore
