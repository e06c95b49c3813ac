package route

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/devcache/devcache/registryproxy/errcode"
)

// Kind is the API endpoint a request addresses.
type Kind int

// The endpoints of the distribution API the proxy knows.
const (
	Base        Kind = iota + 1 // /v2/
	Catalog                     // /v2/_catalog
	Tags                        // /v2/<name>/tags/list
	Manifest                    // /v2/<name>/manifests/<tag-or-digest>
	Blob                        // /v2/<name>/blobs/<digest>
	BlobUploads                 // /v2/<name>/blobs/uploads/
	BlobUpload                  // /v2/<name>/blobs/uploads/<id>
	Referrers                   // /v2/<name>/referrers/<digest>
)

var kindNames = map[Kind]string{
	Base: "base", Catalog: "catalog", Tags: "tags", Manifest: "manifest", Blob: "blob",
	BlobUploads: "blob-uploads", BlobUpload: "blob-upload", Referrers: "referrers",
}

func (k Kind) String() string { return kindNames[k] }

// MaxTagsPage caps the n of a tag listing (CVE-2023-2253 class).
const MaxTagsPage = 1000

// Route is a canonical request: every field has been validated.
type Route struct {
	Method string
	Kind   Kind
	// Name is the repository (empty for Base and Catalog).
	Name string
	// Tag or Digest is the manifest reference (exactly one is set for Manifest).
	Tag    string
	Digest digest.Digest
	// UploadID is the session id of a BlobUpload route.
	UploadID string

	// Query parameters, parsed per endpoint.
	// QueryDigest is ?digest= on an upload POST or PUT.
	QueryDigest digest.Digest
	// Mount and From are ?mount=&from= on an upload POST. From may be empty
	// (an "automatic" mount, which the proxy never performs).
	Mount digest.Digest
	From  string
	// N and Last page a tag listing; N < 0 means not given.
	N    int
	Last string
	// ArtifactType filters a referrers listing.
	ArtifactType string
	// TagParams are ?tag= values on a manifest PUT (end-7b).
	TagParams []string
}

var allowedMethods = map[Kind][]string{
	Base:        {http.MethodGet, http.MethodHead},
	Catalog:     {http.MethodGet},
	Tags:        {http.MethodGet},
	Manifest:    {http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete},
	Blob:        {http.MethodGet, http.MethodHead, http.MethodDelete},
	BlobUploads: {http.MethodPost},
	BlobUpload:  {http.MethodGet, http.MethodPatch, http.MethodPut, http.MethodDelete},
	Referrers:   {http.MethodGet},
}

// ParsePath parses method, r.URL.EscapedPath() and r.URL.RawQuery. Errors
// are *errcode.Error values ready for the client.
func ParsePath(method, escapedPath, rawQuery string) (Route, error) {
	r := Route{Method: method, N: -1}
	p, err := canonicalPath(escapedPath)
	if err != nil {
		return r, err
	}
	if p == "/v2/" || p == "/v2" {
		r.Kind = Base
		return r, r.checkMethod()
	}
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return r, errcode.New(errcode.UnsupportedResource, "not a distribution API path")
	}
	if rest == "_catalog" {
		r.Kind = Catalog
		return r, r.checkMethod()
	}
	segs := strings.Split(rest, "/")
	n := len(segs)
	var name []string
	switch {
	case n >= 3 && segs[n-2] == "tags" && segs[n-1] == "list":
		r.Kind, name = Tags, segs[:n-2]
	case n >= 4 && segs[n-3] == "blobs" && segs[n-2] == "uploads" && segs[n-1] == "":
		r.Kind, name = BlobUploads, segs[:n-3]
	case n >= 4 && segs[n-3] == "blobs" && segs[n-2] == "uploads":
		r.Kind, name = BlobUpload, segs[:n-3]
		if err := ValidateUploadID(segs[n-1]); err != nil {
			return r, err
		}
		r.UploadID = segs[n-1]
	case n >= 3 && segs[n-2] == "blobs" && segs[n-1] == "uploads":
		r.Kind, name = BlobUploads, segs[:n-2]
	case n >= 3 && segs[n-2] == "blobs":
		r.Kind, name = Blob, segs[:n-2]
		if r.Digest, err = ParseDigest(segs[n-1]); err != nil {
			return r, err
		}
	case n >= 3 && segs[n-2] == "manifests":
		r.Kind, name = Manifest, segs[:n-2]
		ref := segs[n-1]
		if strings.Contains(ref, ":") {
			if r.Digest, err = ParseDigest(ref); err != nil {
				return r, err
			}
		} else if err := ValidateTag(ref); err != nil {
			return r, err
		} else {
			r.Tag = ref
		}
	case n >= 3 && segs[n-2] == "referrers":
		r.Kind, name = Referrers, segs[:n-2]
		if r.Digest, err = ParseDigest(segs[n-1]); err != nil {
			return r, err
		}
	default:
		return r, errcode.New(errcode.UnsupportedResource, "not a distribution API path")
	}
	r.Name = strings.Join(name, "/")
	if err := ValidateName(r.Name); err != nil {
		return r, err
	}
	if err := r.checkMethod(); err != nil {
		return r, err
	}
	return r, r.parseQuery(rawQuery)
}

func (r *Route) checkMethod() error {
	for _, m := range allowedMethods[r.Kind] {
		if m == r.Method {
			return nil
		}
	}
	return errcode.New(errcode.Unsupported, "method %s not allowed on %s", sanitizeMethod(r.Method), r.Kind)
}

func sanitizeMethod(m string) string {
	if len(m) > 16 {
		m = m[:16]
	}
	return strconv.Quote(m)
}

// canonicalPath rejects every non-canonical spelling. The only escape
// allowed is %3A (a digest's colon); the result is the decoded path.
func canonicalPath(p string) (string, error) {
	if len(p) > 4096 {
		return "", errcode.New(errcode.NameInvalid, "path too long")
	}
	if strings.ContainsAny(p, "\\") {
		return "", errcode.New(errcode.NameInvalid, "backslash in path")
	}
	if strings.Contains(p, "%") {
		var b strings.Builder
		for i := 0; i < len(p); i++ {
			if p[i] != '%' {
				b.WriteByte(p[i])
				continue
			}
			if i+2 < len(p) && p[i+1] == '3' && (p[i+2] == 'A' || p[i+2] == 'a') {
				b.WriteByte(':')
				i += 2
				continue
			}
			return "", errcode.New(errcode.NameInvalid, "percent-encoded characters are not allowed in the path")
		}
		p = b.String()
	}
	// Reject empty, "." and ".." segments; a single trailing slash is kept
	// for the /v2/ and blob-upload endpoints.
	body := strings.TrimPrefix(p, "/")
	if body == p {
		return "", errcode.New(errcode.NameInvalid, "path must be absolute")
	}
	segs := strings.Split(body, "/")
	for i, s := range segs {
		if s == "" && i == len(segs)-1 {
			continue
		}
		if s == "" || s == "." || s == ".." {
			return "", errcode.New(errcode.NameInvalid, "non-canonical path")
		}
	}
	return p, nil
}

func (r *Route) parseQuery(raw string) error {
	if raw == "" {
		return nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return errcode.New(errcode.Unsupported, "malformed query")
	}
	one := func(k string) (string, bool, error) {
		v, ok := q[k]
		if !ok {
			return "", false, nil
		}
		if len(v) != 1 {
			return "", true, errcode.New(errcode.Unsupported, "repeated query parameter %q", k)
		}
		return v[0], true, nil
	}
	switch r.Kind {
	case Tags:
		if v, ok, err := one("n"); err != nil {
			return err
		} else if ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errcode.New(errcode.Unsupported, "invalid n")
			}
			r.N = min(n, MaxTagsPage)
		}
		if v, ok, err := one("last"); err != nil {
			return err
		} else if ok && v != "" {
			if err := ValidateTag(v); err != nil {
				return err
			}
			r.Last = v
		}
	case BlobUploads:
		if v, ok, err := one("digest"); err != nil {
			return err
		} else if ok {
			if r.QueryDigest, err = ParseDigest(v); err != nil {
				return err
			}
		}
		if v, ok, err := one("mount"); err != nil {
			return err
		} else if ok {
			if r.Mount, err = ParseDigest(v); err != nil {
				return err
			}
			if f, ok, err := one("from"); err != nil {
				return err
			} else if ok {
				if err := ValidateName(f); err != nil {
					return err
				}
				r.From = f
			}
		}
		if _, ok := q["digest-algorithm"]; ok {
			return errcode.New(errcode.Unsupported, "digest-algorithm is not supported")
		}
	case BlobUpload:
		if v, ok, err := one("digest"); err != nil {
			return err
		} else if ok {
			if r.QueryDigest, err = ParseDigest(v); err != nil {
				return err
			}
		}
	case Manifest:
		for _, t := range q["tag"] {
			if err := ValidateTag(t); err != nil {
				return err
			}
			r.TagParams = append(r.TagParams, t)
		}
	case Referrers:
		if v, ok, err := one("artifactType"); err != nil {
			return err
		} else if ok {
			if len(v) > 255 || strings.ContainsAny(v, " \t\r\n\"") {
				return errcode.New(errcode.Unsupported, "invalid artifactType")
			}
			r.ArtifactType = v
		}
	}
	return nil
}

// Reference is the manifest reference as written in a path: the tag or the digest.
func (r Route) Reference() string {
	if r.Tag != "" {
		return r.Tag
	}
	return r.Digest.String()
}
