package server

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBackendOperation(t *testing.T) {
	for path, want := range map[string]string{
		"/v2/":         "ping",
		"/v2/_catalog": "catalog",
		"/v2/gitpod-runner-r/projects/p/image-build/manifests/latest": "manifest",
		"/v2/projects/p/image-build/manifests/sha256:abc":             "manifest",
		"/v2/projects/p/image-build/blobs/sha256:abc":                 "blob",
		"/v2/projects/p/image-build/blobs/uploads/":                   "upload",
		"/v2/projects/p/image-build/blobs/uploads/0b1c-uuid":          "upload",
		"/v2/projects/p/image-build/tags/list":                        "tags",
		"/v2/projects/p/image-build/referrers/sha256:abc":             "referrers",
		"/v2/devcache/push-records/manifests/r-0123":                  "manifest",
		"/somewhere": "other",
	} {
		assert.Equal(t, want, BackendOperation(path), path)
	}
}
