package lifecycle

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/containerd/errdefs"
)

// Scope says who owns a secret.
type Scope string

// The owners of secrets; a prebuild sees organization and project secrets
// only.
const (
	ScopeOrganization Scope = "organization"
	ScopeProject      Scope = "project"
	ScopeUser         Scope = "user"
)

// SecretsDir is where file secrets appear in the container: a read-only
// bind mount of a host directory, so they are never in the container's
// filesystem changes and never in a captured layer.
const SecretsDir = "/run/devcache/secrets" //nolint:gosec // a path, not a credential

// Secret is a value the commands may use.
type Secret struct {
	Name  string
	Scope Scope
	Value []byte
	// AsFile puts the secret in SecretsDir/<Name> instead of the
	// environment.
	AsFile bool
}

var secretName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// Secrets is the set of secrets a run may see.
type Secrets []Secret

// ForPrebuild keeps the organization and project secrets: a prebuild is not
// any one user's environment, so user secrets never reach it.
func (s Secrets) ForPrebuild() Secrets {
	var out Secrets
	for _, x := range s {
		if x.Scope == ScopeOrganization || x.Scope == ScopeProject {
			out = append(out, x)
		}
	}
	return out
}

// Validate checks the names (they become variable and file names).
func (s Secrets) Validate() error {
	for _, x := range s {
		if !secretName.MatchString(x.Name) {
			return fmt.Errorf("secret name %q: %w", x.Name, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// Env returns the environment secrets as NAME=value, sorted.
func (s Secrets) Env() []string {
	var env []string
	for _, x := range s {
		if !x.AsFile {
			env = append(env, x.Name+"="+string(x.Value))
		}
	}
	sort.Strings(env)
	return env
}

// HasFiles reports whether any secret is a file.
func (s Secrets) HasFiles() bool {
	for _, x := range s {
		if x.AsFile {
			return true
		}
	}
	return false
}

// WriteFiles writes the file secrets into dir (0600 files in a 0700
// directory) for the runner to mount at SecretsDir.
func (s Secrets) WriteFiles(dir string) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, x := range s {
		if x.AsFile {
			if err := os.WriteFile(filepath.Join(dir, x.Name), x.Value, 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}
