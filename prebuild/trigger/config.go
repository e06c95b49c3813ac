package trigger

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"regexp"
	"time"

	"github.com/devcache/devcache/internal/tomlconfig"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/registryproxy/lease"
)

// Version is the only configuration version this binary reads.
const Version = 1

// Config is `devcache prebuild serve --config`'s file.
type Config struct {
	Version int `toml:"version"`
	// WebhookSecretFile holds the shared secret push events are signed
	// with (HMAC-SHA256); without it the webhook endpoint refuses all.
	WebhookSecretFile string `toml:"webhook_secret_file"`
	// Debounce is the quiet time after a push before its prebuild starts
	// (later pushes restart it; default 10s); a burst waits at most
	// MaxDelay (default 1m).
	Debounce Duration `toml:"debounce"`
	MaxDelay Duration `toml:"max_delay"`
	// PollInterval is how often polled projects are asked (default 1m).
	PollInterval Duration `toml:"poll_interval"`
	// LeaseTTL is how long a prebuild's class lease lasts unless renewed
	// (default 1m; renewed every third of it while the prebuild runs).
	LeaseTTL Duration  `toml:"lease_ttl"`
	Projects []Project `toml:"project"`
}

// Project is one project's triggers.
type Project struct {
	// ID is the devcache project.
	ID string `toml:"id"`
	// Remote is the git remote (URL) prebuilds check out.
	Remote string `toml:"remote"`
	// Repository is the forge's name of the repository ("org/repo"),
	// matched against webhook payloads (the remote URL is too).
	Repository string `toml:"repository"`
	// Branches are globs (path.Match: "main", "release/*").
	Branches []string `toml:"branches"`
	// Classes are the environment classes prebuilt on each push.
	Classes []string `toml:"classes"`
	// Creator is who prebuilds run as (the project's creator).
	Creator string `toml:"creator"`
	// Config is the devcontainer.json in the repository (default
	// .devcontainer/devcontainer.json).
	Config string `toml:"config"`
	// Poll asks the remote with git ls-remote every PollInterval.
	Poll bool `toml:"poll"`
	// Schedule is the daily prebuild's time of day ("HH:MM" UTC, "" for
	// none) on Branch (default: the first branch without a glob).
	Schedule string `toml:"schedule"`
	Branch   string `toml:"branch"`
}

// Duration is a time.Duration written as a Go duration ("10s").
type Duration = tomlconfig.Duration

// LoadConfig reads and checks the file at p.
func LoadConfig(p string) (*Config, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return c, nil
}

var (
	projectID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)
	className = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// ParseConfig decodes b strictly (unknown keys are errors, with their line
// and column) and checks it.
func ParseConfig(b []byte) (*Config, error) {
	c := &Config{}
	if err := tomlconfig.Decode(b, Version, c); err != nil {
		return nil, err
	}
	return c, c.check()
}

// check fills defaults and refuses what could make one project's trigger
// start another's prebuild.
func (c *Config) check() error {
	def := func(d *Duration, v time.Duration) {
		if d.Duration == 0 {
			d.Duration = v
		}
	}
	def(&c.Debounce, 10*time.Second)
	def(&c.MaxDelay, time.Minute)
	def(&c.PollInterval, time.Minute)
	def(&c.LeaseTTL, time.Minute)
	bad := func(format string, a ...any) error {
		return fmt.Errorf(format+": %w", append(a, errdefs.ErrInvalidArgument)...)
	}
	if c.Debounce.Duration < 0 || c.MaxDelay.Duration < c.Debounce.Duration {
		return bad("debounce must be positive and max_delay at least debounce")
	}
	if c.PollInterval.Duration < time.Second {
		return bad("poll_interval must be at least 1s")
	}
	if c.LeaseTTL.Duration < lease.MinTTL || c.LeaseTTL.Duration > lease.MaxTTL {
		return bad("lease_ttl %s: want %s..%s (the proxy's lease lifetimes)", c.LeaseTTL.Duration, lease.MinTTL, lease.MaxTTL)
	}
	seen := map[string]bool{}
	for i := range c.Projects {
		p := &c.Projects[i]
		where := fmt.Sprintf("project[%d]", i)
		switch {
		case !projectID.MatchString(p.ID):
			return bad("%s.id %q: want lower-case letters, digits, '.', '_', '-'", where, p.ID)
		case seen[p.ID]:
			return bad("%s.id %q: the project is configured twice", where, p.ID)
		case p.Remote == "":
			return bad("%s (%s): remote is required", where, p.ID)
		case len(p.Branches) == 0:
			return bad("%s (%s): branches is required (globs, e.g. [\"main\"])", where, p.ID)
		case len(p.Classes) == 0:
			return bad("%s (%s): classes is required", where, p.ID)
		case p.Creator == "":
			return bad("%s (%s): creator is required (prebuilds run as the project's creator)", where, p.ID)
		}
		seen[p.ID] = true
		for j, g := range p.Branches {
			if _, err := path.Match(g, ""); err != nil || g == "" {
				return bad("%s.branches[%d] %q: not a glob", where, j, g)
			}
		}
		for j, cl := range p.Classes {
			if !className.MatchString(cl) {
				return bad("%s.classes[%d] %q: not an environment class name", where, j, cl)
			}
		}
		if p.Config == "" {
			p.Config = ".devcontainer/devcontainer.json"
		}
		if path.IsAbs(p.Config) || path.Clean(p.Config) != p.Config || p.Config == ".." || len(p.Config) > 2 && p.Config[:3] == "../" {
			return bad("%s.config %q: a path inside the repository", where, p.Config)
		}
		if p.Schedule != "" {
			if _, err := prebuild.ParseAt(p.Schedule); err != nil {
				return fmt.Errorf("%s.schedule: %w", where, err)
			}
			if p.Branch == "" {
				for _, g := range p.Branches {
					if !hasMeta(g) {
						p.Branch = g
						break
					}
				}
			}
			if p.Branch == "" {
				return bad("%s.branch: the scheduled prebuild needs a branch (all branches are globs)", where)
			}
		}
	}
	return nil
}

// Wants reports whether a push to branch triggers the project's prebuilds.
func (p *Project) Wants(branch string) bool {
	for _, g := range p.Branches {
		if ok, _ := path.Match(g, branch); ok {
			return true
		}
	}
	return false
}

func hasMeta(g string) bool { return bytes.ContainsAny([]byte(g), `*?[\`) }
