package route

import (
	"strings"
	"testing"
)

// FuzzParsePath checks that whatever ParsePath accepts is canonical: the
// name is a valid OCI name, no segment is "." or "..", and re-rendering
// the parsed parts and parsing again yields the same route.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"/v2/", "/v2/_catalog", "/v2/projects/p1/image-build/tags/list",
		"/v2/projects/p1/image-build/manifests/latest",
		"/v2/projects/p1/image-build/manifests/" + d256,
		"/v2/projects/p1/image-build/manifests/sha256%3A0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"/v2/projects/p1/prebuild/blobs/" + d256,
		"/v2/projects/p1/prebuild/blobs/uploads/",
		"/v2/projects/p1/prebuild/blobs/uploads/abc-DEF_1",
		"/v2/projects/p1/../p2/image-build/tags/list",
		"/v2/projects%2fp2/image-build/tags/list",
		"/v2/projects/p1//image-build/tags/list",
		"/v2/Projects/p1/image-build/tags/list",
		"/v2/projects\\p1/image-build/tags/list",
		"/v2/a/referrers/" + d256,
	} {
		f.Add("GET", s, "")
	}
	f.Add("POST", "/v2/a/b/blobs/uploads/", "mount="+d256+"&from=a/c")
	f.Add("GET", "/v2/a/tags/list", "n=10&last=x")
	f.Fuzz(func(t *testing.T, method, path, query string) {
		r, err := ParsePath(method, path, query)
		if err != nil {
			return
		}
		if r.Kind == Base || r.Kind == Catalog {
			return
		}
		if err := ValidateName(r.Name); err != nil {
			t.Fatalf("accepted invalid name %q from %q", r.Name, path)
		}
		for _, s := range strings.Split(r.Name, "/") {
			if s == "." || s == ".." || s == "" || strings.ToLower(s) != s {
				t.Fatalf("accepted non-canonical segment %q from %q", s, path)
			}
		}
		if r.From != "" {
			if err := ValidateName(r.From); err != nil {
				t.Fatalf("accepted invalid from %q", r.From)
			}
		}
		again, err := ParsePath(method, render(r), query)
		if err != nil {
			t.Fatalf("re-parse of %q (from %q) failed: %v", render(r), path, err)
		}
		if again.Name != r.Name || again.Kind != r.Kind || again.Tag != r.Tag || again.Digest != r.Digest || again.UploadID != r.UploadID {
			t.Fatalf("re-parse differs: %+v vs %+v", again, r)
		}
	})
}

func render(r Route) string {
	base := "/v2/" + r.Name
	switch r.Kind {
	case Tags:
		return base + "/tags/list"
	case Manifest:
		return base + "/manifests/" + r.Reference()
	case Blob:
		return base + "/blobs/" + r.Digest.String()
	case BlobUploads:
		return base + "/blobs/uploads/"
	case BlobUpload:
		return base + "/blobs/uploads/" + r.UploadID
	case Referrers:
		return base + "/referrers/" + r.Digest.String()
	}
	return base
}
