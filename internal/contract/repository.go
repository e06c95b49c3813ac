package contract

import "strings"

// Kind is a kind of cache repository a project has.
type Kind string

// The repository kinds of a project.
const (
	// KindImageBuild holds cached Dev Container images, tagged by cache key.
	KindImageBuild Kind = "image-build"
	// KindPrebuild holds prebuild snapshots, tagged by prebuild id.
	KindPrebuild Kind = "prebuild"
)

// Kinds lists the repository kinds in a stable order.
var Kinds = []Kind{KindImageBuild, KindPrebuild}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindImageBuild || k == KindPrebuild }

// RepositoryName is the client-visible name of a project's repository of
// kind: projects/<project>/<kind>.
func RepositoryName(project string, kind Kind) string {
	return "projects/" + project + "/" + string(kind)
}

// SplitRepositoryName is the inverse of RepositoryName: it cuts
// projects/<project>/<kind> into its parts. ok is false for any other shape
// or an unknown kind; the project is not validated (the proxy's route
// package checks name components).
func SplitRepositoryName(name string) (project string, kind Kind, ok bool) {
	rest, ok := strings.CutPrefix(name, "projects/")
	if !ok {
		return "", "", false
	}
	project, k, ok := strings.Cut(rest, "/")
	if !ok || project == "" || !Kind(k).Valid() {
		return "", "", false
	}
	return project, Kind(k), true
}

// KindOf is the kind a repository name ends in, whatever prefix a backend
// layout puts in front of it (…/projects/<project>/<kind>); ok is false when
// its last element is no known kind.
func KindOf(name string) (Kind, bool) {
	k := Kind(name[strings.LastIndex(name, "/")+1:])
	return k, k.Valid()
}
