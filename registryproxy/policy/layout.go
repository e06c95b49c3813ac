package policy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/route"
)

// DefaultMetaTemplate is where push records live by default: under the
// runner's own prefix, so that runners sharing one backend never read,
// expire or sweep each other's records ("devcache/push-records" when no
// runner is configured).
const DefaultMetaTemplate = "devcache/{runner}/push-records"

// Layout is a runner's part of a backend: the client-visible repositories
// (Namer) and the push-record repository (Meta), checked to be disjoint.
type Layout struct {
	Namer *Namer
	// Meta is the rendered push-record repository.
	Meta string
}

// NewLayout validates a backend layout. The rules that keep one runner or
// project from touching another's data:
//   - with a runner id, both templates must contain {runner} (runners that
//     share a backend would otherwise share, and gc, each other's images);
//   - the push-record repository must not be a name any project's
//     repository renders to (a client could forge records there).
func NewLayout(repoTemplate, metaTemplate, runner string) (*Layout, error) {
	n, err := NewNamer(repoTemplate, runner)
	if err != nil {
		return nil, err
	}
	if metaTemplate == "" {
		metaTemplate = DefaultMetaTemplate
	}
	if runner != "" {
		if !strings.Contains(n.template, "{runner}") {
			return nil, fmt.Errorf("backend.runner is %q but backend.repository %q has no {runner}: runners sharing one backend would share and sweep each other's images: %w", runner, n.template, errdefs.ErrInvalidArgument)
		}
		if !strings.Contains(metaTemplate, "{runner}") {
			return nil, fmt.Errorf("backend.runner is %q but backend.meta_repository %q has no {runner}: runners sharing one backend would share and sweep each other's push records: %w", runner, metaTemplate, errdefs.ErrInvalidArgument)
		}
	}
	meta := renderRunner(metaTemplate, runner)
	if err := route.ValidateName(meta); err != nil {
		return nil, fmt.Errorf("backend.meta_repository %q does not render a valid repository name (%q): %w", metaTemplate, meta, errdefs.ErrInvalidArgument)
	}
	if r, ok := n.Parse(meta); ok {
		return nil, fmt.Errorf("backend.meta_repository %q is inside the client namespace: it is project %q's %s repository under backend.repository %q; choose a name outside it: %w",
			meta, r.Project, r.Kind, n.template, errdefs.ErrInvalidArgument)
	}
	return &Layout{Namer: n, Meta: meta}, nil
}

// renderRunner fills {runner}; an empty runner drops its path element.
func renderRunner(tmpl, runner string) string {
	s := strings.ReplaceAll(tmpl, "{runner}", runner)
	if runner == "" {
		for strings.Contains(s, "//") {
			s = strings.ReplaceAll(s, "//", "/")
		}
		s = strings.Trim(s, "/")
	}
	return s
}

// componentRE matches one OCI name component (refined by route.ValidComponent).
const componentRE = `[a-z0-9]+(?:[._-]+[a-z0-9]+)*`

// Parse inverts Backend: it reports which cache repository a backend
// name is, if any. gc uses it to touch only this runner's repositories.
func (n *Namer) Parse(backendName string) (Repository, bool) {
	n.once.Do(func() {
		var b strings.Builder
		b.WriteString("^")
		rest := n.template
		for rest != "" {
			i := strings.IndexByte(rest, '{')
			j := strings.IndexByte(rest, '}')
			if i < 0 || j < i {
				b.WriteString(regexp.QuoteMeta(rest))
				break
			}
			b.WriteString(regexp.QuoteMeta(rest[:i]))
			switch rest[i : j+1] {
			case "{project}":
				b.WriteString("(?P<project>" + componentRE + ")")
			case "{repository}":
				kinds := make([]string, len(contract.Kinds))
				for i, k := range contract.Kinds {
					kinds[i] = regexp.QuoteMeta(string(k))
				}
				b.WriteString("(?P<kind>" + strings.Join(kinds, "|") + ")")
			case "{runner}":
				b.WriteString(regexp.QuoteMeta(n.runner))
			default:
				b.WriteString(regexp.QuoteMeta(rest[i : j+1]))
			}
			rest = rest[j+1:]
		}
		b.WriteString("$")
		n.re = regexp.MustCompile(b.String())
	})
	m := n.re.FindStringSubmatch(backendName)
	if m == nil {
		return Repository{}, false
	}
	r := Repository{Project: m[n.re.SubexpIndex("project")], Kind: contract.Kind(m[n.re.SubexpIndex("kind")])}
	if !route.ValidComponent(r.Project) || n.Backend(r) != backendName {
		return Repository{}, false
	}
	return r, true
}
