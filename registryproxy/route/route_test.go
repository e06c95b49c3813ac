package route

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/registryproxy/errcode"
)

const d256 = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParsePathValid(t *testing.T) {
	for _, tc := range []struct {
		method, path, query string
		want                Route
	}{
		{"GET", "/v2/", "", Route{Kind: Base}},
		{"GET", "/v2", "", Route{Kind: Base}},
		{"GET", "/v2/_catalog", "", Route{Kind: Catalog}},
		{"GET", "/v2/projects/p1/image-build/tags/list", "n=5&last=abc", Route{Kind: Tags, Name: "projects/p1/image-build", N: 5, Last: "abc"}},
		{"GET", "/v2/projects/p1/image-build/tags/list", "n=100000", Route{Kind: Tags, Name: "projects/p1/image-build", N: MaxTagsPage}},
		{"HEAD", "/v2/projects/p1/image-build/manifests/v1.0_x-y", "", Route{Kind: Manifest, Name: "projects/p1/image-build", Tag: "v1.0_x-y"}},
		{"GET", "/v2/projects/p1/image-build/manifests/" + d256, "ns=docker.io", Route{Kind: Manifest, Name: "projects/p1/image-build", Digest: d256}},
		{"GET", "/v2/projects/p1/image-build/manifests/" + strings.Replace(d256, ":", "%3A", 1), "", Route{Kind: Manifest, Name: "projects/p1/image-build", Digest: d256}},
		{"PUT", "/v2/a/manifests/" + d256, "tag=x&tag=y", Route{Kind: Manifest, Name: "a", Digest: d256, TagParams: []string{"x", "y"}}},
		{"GET", "/v2/projects/p1/prebuild/blobs/" + d256, "", Route{Kind: Blob, Name: "projects/p1/prebuild", Digest: d256}},
		{"POST", "/v2/projects/p1/prebuild/blobs/uploads/", "", Route{Kind: BlobUploads, Name: "projects/p1/prebuild"}},
		{"POST", "/v2/projects/p1/prebuild/blobs/uploads", "digest=" + d256, Route{Kind: BlobUploads, Name: "projects/p1/prebuild", QueryDigest: d256}},
		{"POST", "/v2/a/b/blobs/uploads/", "mount=" + d256 + "&from=a/c", Route{Kind: BlobUploads, Name: "a/b", Mount: d256, From: "a/c"}},
		{"PATCH", "/v2/a/b/blobs/uploads/AbC-_9", "", Route{Kind: BlobUpload, Name: "a/b", UploadID: "AbC-_9"}},
		{"PUT", "/v2/a/b/blobs/uploads/xyz", "digest=" + d256, Route{Kind: BlobUpload, Name: "a/b", UploadID: "xyz", QueryDigest: d256}},
		{"GET", "/v2/a/b/referrers/" + d256, "artifactType=application/x", Route{Kind: Referrers, Name: "a/b", Digest: d256, ArtifactType: "application/x"}},
		{"GET", "/v2/a__b/c-----d/e.f/tags/list", "", Route{Kind: Tags, Name: "a__b/c-----d/e.f"}},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			got, err := ParsePath(tc.method, tc.path, tc.query)
			require.NoError(t, err)
			tc.want.Method = tc.method
			if tc.want.N == 0 {
				tc.want.N = -1
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParsePathRejects(t *testing.T) {
	for _, tc := range []struct {
		method, path, query string
		code                string
	}{
		{"GET", "/v2/projects/p1/../p2/image-build/tags/list", "", "NAME_INVALID"},
		{"GET", "/v2/projects/p1/%2e%2e/p2/image-build/tags/list", "", "NAME_INVALID"},
		{"GET", "/v2/projects/p1/%2E%2E/p2/image-build/tags/list", "", "NAME_INVALID"},
		{"GET", "/v2/projects%2fp2/image-build/tags/list", "", "NAME_INVALID"},
		{"GET", "/v2/projects/p1//image-build/tags/list", "", "NAME_INVALID"},
		{"GET", "//v2/projects/p1/image-build/tags/list", "", "NAME_INVALID"},
		{"GET", "/v2/projects/./p1/image-build/tags/list", "", "NAME_INVALID"},
		{"GET", "/v2/Projects/p1/image-build/tags/list", "", "NAME_INVALID"},
		{"GET", "/v2/projects/p1\\..\\p2/image-build/tags/list", "", "NAME_INVALID"},
		{"GET", "/v2/projects/p1/image-build/manifests/" + strings.ToUpper(d256), "", "DIGEST_INVALID"},
		{"GET", "/v2/projects/p1/image-build/manifests/sha256:abc", "", "DIGEST_INVALID"},
		{"GET", "/v2/projects/p1/image-build/manifests/md5:0123456789abcdef0123456789abcdef", "", "DIGEST_INVALID"},
		{"GET", "/v2/projects/p1/image-build/blobs/latest", "", "DIGEST_INVALID"},
		{"GET", "/v2/projects/p1/image-build/manifests/-bad", "", "TAG_INVALID"},
		{"GET", "/v2/projects/p1/image-build/manifests/" + strings.Repeat("a", 129), "", "TAG_INVALID"},
		{"GET", "/v2/projects/p1/image-build/tags/list", "last=..", "TAG_INVALID"},
		{"GET", "/v2/projects/p1/image-build/tags/list", "n=-1", "UNSUPPORTED"},
		{"POST", "/v2/a/blobs/uploads/", "mount=" + d256 + "&from=../b", "NAME_INVALID"},
		{"POST", "/v2/a/blobs/uploads/", "digest=" + d256 + "&digest=" + d256, "UNSUPPORTED"},
		{"PATCH", "/v2/a/blobs/uploads/a.b", "", "BLOB_UPLOAD_UNKNOWN"},
		{"PATCH", "/v2/a/blobs/uploads/a=b", "", "BLOB_UPLOAD_UNKNOWN"},
		{"POST", "/v2/a/manifests/latest", "", "UNSUPPORTED"},
		{"GET", "/v3/a/manifests/latest", "", "UNSUPPORTED"},
		{"GET", "/v2/a/unknown/x", "", "UNSUPPORTED"},
		{"GET", "/v2/-a/tags/list", "", "NAME_INVALID"},
		{"GET", "/v2/a_-b/tags/list", "", "NAME_INVALID"},
		{"GET", "/v2/a___b/tags/list", "", "NAME_INVALID"},
		{"GET", "/v2/a..b/tags/list", "", "NAME_INVALID"},
		{"GET", "/v2/" + strings.Repeat("a/", 130) + "b/tags/list", "", "NAME_INVALID"},
	} {
		t.Run(tc.method+" "+tc.path+"?"+tc.query, func(t *testing.T) {
			_, err := ParsePath(tc.method, tc.path, tc.query)
			var e *errcode.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.code, e.Code.Value)
		})
	}
}

func TestAllowedMethods(t *testing.T) {
	_, err := ParsePath(http.MethodDelete, "/v2/a/tags/list", "")
	require.Error(t, err)
	_, err = ParsePath(http.MethodDelete, "/v2/a/manifests/x", "")
	require.NoError(t, err, "DELETE parses; the policy refuses it")
}
