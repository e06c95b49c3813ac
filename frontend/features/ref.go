package features

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/containerd/errdefs"
)

// SourceType is the kind of a Feature reference, named as the reference CLI
// names it.
type SourceType string

const (
	// OCI is a Feature in an OCI registry: registry/namespace/id[:tag|@sha256:…].
	OCI SourceType = "oci"
	// Local is a folder under .devcontainer: ./id or ../x/id.
	Local SourceType = "file-path"
	// Tarball is an https URL of devcontainer-feature-<id>.tgz.
	Tarball SourceType = "direct-tarball"
)

// Ref is a parsed Feature reference.
type Ref struct {
	// UserID is the reference as written in devcontainer.json.
	UserID string
	Type   SourceType
	// ID is the Feature id: the last path element, the folder name or the
	// tarball's <id>.
	ID string

	// Registry, Repository, Tag and Digest are set for OCI references.
	// Tag is "latest" when neither tag nor digest is given.
	Registry, Repository, Tag, Digest string

	// Path is the cleaned folder path relative to devcontainer.json's folder
	// (Local).
	Path string

	// URL is the tarball URL (Tarball).
	URL string
}

// Resource is registry/repository for OCI, the path for Local and the URL for
// Tarball: what installsAfter and overrideFeatureInstallOrder match against.
func (r Ref) Resource() string {
	switch r.Type {
	case OCI:
		return r.Registry + "/" + r.Repository
	case Local:
		return r.Path
	}
	return r.URL
}

// Namespace is registry/repository without the last element (OCI).
func (r Ref) Namespace() string {
	return path.Dir(r.Resource())
}

// String is the canonical reference: resource:tag or resource@digest.
func (r Ref) String() string {
	if r.Type != OCI {
		return r.UserID
	}
	if r.Digest != "" {
		return r.Resource() + "@" + r.Digest
	}
	return r.Resource() + ":" + r.Tag
}

var (
	ociPathRE   = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)
	ociTagRE    = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
	tarballRE   = regexp.MustCompile(`devcontainer-feature-(.*)\.tgz$`)
	tarballIDRE = regexp.MustCompile(`^[a-zA-Z0-9_-]*$`)
	digestRE    = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// ParseRef parses a Feature reference the way the reference CLI does.
// Legacy bare ids ("node") and GitHub release references are not supported.
func ParseRef(userID string) (Ref, error) {
	r := Ref{UserID: userID}
	switch {
	case strings.HasPrefix(userID, "https://"), strings.HasPrefix(userID, "http://"):
		m := tarballRE.FindStringSubmatch(userID)
		if m == nil || !tarballIDRE.MatchString(m[1]) {
			return r, fmt.Errorf("feature %q: a tarball URL must end in devcontainer-feature-<id>.tgz: %w", userID, errdefs.ErrInvalidArgument)
		}
		r.Type, r.URL, r.ID = Tarball, userID, m[1]
		return r, nil
	case strings.HasPrefix(userID, "./"), strings.HasPrefix(userID, "../"):
		p := path.Clean(userID)
		// The folder must be inside .devcontainer: relative to
		// devcontainer.json's folder it may not climb out.
		if p == ".." || strings.HasPrefix(p, "../") || p == "." {
			return r, fmt.Errorf("feature %q: a local Feature must be a folder inside the devcontainer.json folder: %w", userID, errdefs.ErrInvalidArgument)
		}
		r.Type, r.Path, r.ID = Local, p, path.Base(p)
		return r, nil
	case strings.HasPrefix(userID, "/"):
		return r, fmt.Errorf("feature %q: absolute paths are not supported; use a path relative to devcontainer.json starting with ./: %w", userID, errdefs.ErrInvalidArgument)
	}
	s := strings.ToLower(userID)
	r.Type = OCI
	if i := strings.Index(s, "@"); i >= 0 {
		r.Digest = s[i+1:]
		s = s[:i]
		if !digestRE.MatchString(r.Digest) {
			return r, fmt.Errorf("feature %q: only sha256 digests are supported: %w", userID, errdefs.ErrInvalidArgument)
		}
	} else if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		r.Tag = userID[i+1:] // tags keep their case in the regex check
		s = s[:i]
		if !ociTagRE.MatchString(r.Tag) {
			return r, fmt.Errorf("feature %q: invalid tag %q: %w", userID, r.Tag, errdefs.ErrInvalidArgument)
		}
		r.Tag = strings.ToLower(r.Tag)
	} else {
		r.Tag = "latest"
	}
	reg, repo, ok := strings.Cut(s, "/")
	if !ok || (!strings.Contains(reg, ".") && !strings.HasPrefix(reg, "localhost")) {
		return r, fmt.Errorf("feature %q: legacy Feature ids are not supported; use an OCI reference (registry/namespace/id:tag) or prepend ./ for a local Feature: %w", userID, errdefs.ErrInvalidArgument)
	}
	if strings.Contains(repo, "devcontainers-contrib") {
		repo = strings.ReplaceAll(repo, "devcontainers-contrib", "devcontainers-extra")
	}
	if !ociPathRE.MatchString(repo) {
		return r, fmt.Errorf("feature %q: invalid repository %q: %w", userID, repo, errdefs.ErrInvalidArgument)
	}
	r.Registry, r.Repository, r.ID = reg, repo, path.Base(repo)
	return r, nil
}
