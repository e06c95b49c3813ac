package lifecycle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/containerd/errdefs"
)

// Hook names a lifecycle command property.
type Hook string

// The lifecycle hooks of the Dev Container spec, in the order they run.
const (
	Initialize    Hook = "initializeCommand"
	OnCreate      Hook = "onCreateCommand"
	UpdateContent Hook = "updateContentCommand"
	PostCreate    Hook = "postCreateCommand"
	PostStart     Hook = "postStartCommand"
	PostAttach    Hook = "postAttachCommand"
	// Automation is a task or service command of an automations file; it
	// runs in the container like the hooks above.
	Automation Hook = "automation"
)

// PrebuildHooks run during a prebuild (after initializeCommand on the host).
var PrebuildHooks = []Hook{OnCreate, UpdateContent}

// UserHooks run when a user's environment starts, never in a prebuild.
var UserHooks = []Hook{PostCreate, PostStart, PostAttach}

// OnHost reports whether h runs on the host rather than in the container.
func (h Hook) OnHost() bool { return h == Initialize }

// Command is one lifecycle command value.
type Command struct {
	// Shell is the string form, run with /bin/sh -c.
	Shell string
	// Args is the array form, run without a shell.
	Args []string
	// Parallel is the object form: named entries run concurrently.
	Parallel map[string]Command
}

// Empty reports whether there is nothing to run.
func (c Command) Empty() bool { return c.Shell == "" && len(c.Args) == 0 && len(c.Parallel) == 0 }

// Argv is the process to run for a string or array command.
func (c Command) Argv() []string {
	if len(c.Args) > 0 {
		return c.Args
	}
	return []string{"/bin/sh", "-c", c.Shell}
}

// Names returns the parallel entries' names, sorted.
func (c Command) Names() []string {
	names := make([]string, 0, len(c.Parallel))
	for n := range c.Parallel {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Parse reads a lifecycle command value (standard JSON): a string, an array
// of strings or an object whose values are strings or arrays. null and
// empty values give an empty Command.
func Parse(raw json.RawMessage) (Command, error) {
	return parse(raw, true)
}

func parse(raw json.RawMessage, allowObject bool) (Command, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return Command{}, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return Command{}, invalid(err)
		}
		return Command{Shell: s}, nil
	case '[':
		var args []string
		if err := json.Unmarshal(raw, &args); err != nil {
			return Command{}, invalid(fmt.Errorf("an array command holds strings only: %w", err))
		}
		return Command{Args: args}, nil
	case '{':
		if !allowObject {
			return Command{}, invalid(fmt.Errorf("an object entry must be a string or an array"))
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return Command{}, invalid(err)
		}
		c := Command{Parallel: map[string]Command{}}
		for name, v := range m {
			e, err := parse(v, false)
			if err != nil {
				return Command{}, fmt.Errorf("entry %q: %w", name, err)
			}
			if !e.Empty() {
				c.Parallel[name] = e
			}
		}
		return c, nil
	default:
		return Command{}, invalid(fmt.Errorf("want a string, an array or an object, got %s", raw))
	}
}

func invalid(err error) error {
	return fmt.Errorf("lifecycle command: %w: %w", err, errdefs.ErrInvalidArgument)
}
