package policy

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/route"
)

// Repository is a client-visible cache repository.
type Repository struct {
	Project string
	Kind    contract.Kind
}

// Name is the client-visible name: projects/<project>/<kind>.
func (r Repository) Name() string { return contract.RepositoryName(r.Project, r.Kind) }

// ParseRepository maps a canonical repository name to a cache
// repository; ok is false for every other name.
func ParseRepository(name string) (Repository, bool) {
	project, kind, ok := contract.SplitRepositoryName(name)
	if !ok || !route.ValidComponent(project) {
		return Repository{}, false
	}
	return Repository{Project: project, Kind: kind}, true
}

// Namer maps cache repositories to backend repository names with a
// template holding {project} and {repository} (the kind), and optionally
// {runner}: "gitpod-runner-{runner}/projects/{project}/{repository}".
type Namer struct {
	template string
	runner   string

	once sync.Once
	re   *regexp.Regexp // Parse's matcher, built on first use
}

// DefaultTemplate keeps backend names equal to client names.
const DefaultTemplate = "projects/{project}/{repository}"

// NewNamer validates the template: it must name {project} and
// {repository}, and render to a valid OCI name.
func NewNamer(template, runner string) (*Namer, error) {
	if template == "" {
		template = DefaultTemplate
	}
	if !strings.Contains(template, "{project}") || !strings.Contains(template, "{repository}") {
		return nil, fmt.Errorf("backend repository template %q must contain {project} and {repository}: %w", template, errdefs.ErrInvalidArgument)
	}
	if strings.Contains(template, "{runner}") && !route.ValidComponent(runner) {
		return nil, fmt.Errorf("backend repository template uses {runner} but runner id %q is not a lowercase name component: %w", runner, errdefs.ErrInvalidArgument)
	}
	n := &Namer{template: template, runner: runner}
	if err := route.ValidateName(n.Backend(Repository{Project: "p", Kind: contract.KindImageBuild})); err != nil {
		return nil, fmt.Errorf("backend repository template %q does not render a valid repository name: %w", template, errdefs.ErrInvalidArgument)
	}
	return n, nil
}

// Backend returns the backend repository name of r.
func (n *Namer) Backend(r Repository) string {
	return strings.NewReplacer("{project}", r.Project, "{repository}", string(r.Kind), "{runner}", n.runner).Replace(n.template)
}
