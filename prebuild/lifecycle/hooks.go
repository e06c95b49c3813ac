package lifecycle

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/frontend/devcontainer"
)

// MetadataLabel is the image label the Dev Container build writes.
const MetadataLabel = "devcontainer.metadata"

// Source is one origin of lifecycle commands: a Feature, or the
// devcontainer.json itself.
type Source struct {
	// Name is the Feature id, or "devcontainer.json".
	Name     string
	Commands map[Hook]Command
}

// Step is one command of a hook, named for the logs.
type Step struct {
	Hook    Hook
	Source  string
	Command Command
}

// Name is how the logs and the phase record name the step.
func (s Step) Name() string {
	if s.Source == "" || s.Source == ConfigSource {
		return string(s.Hook)
	}
	return string(s.Hook) + " (" + s.Source + ")"
}

// ConfigSource names the devcontainer.json's own commands.
const ConfigSource = "devcontainer.json"

// Hooks are the collected lifecycle commands of an environment.
type Hooks struct {
	Sources []Source
}

// Steps returns the commands of hook h in run order: Features first, the
// devcontainer.json last.
func (hs Hooks) Steps(h Hook) []Step {
	var out []Step
	for _, s := range hs.Sources {
		if c, ok := s.Commands[h]; ok && !c.Empty() {
			out = append(out, Step{Hook: h, Source: s.Name, Command: c})
		}
	}
	return out
}

var allHooks = []Hook{Initialize, OnCreate, UpdateContent, PostCreate, PostStart, PostAttach}

// FromConfig reads the lifecycle commands of a parsed devcontainer.json.
func FromConfig(cfg *devcontainer.Config) (Source, error) {
	src := Source{Name: ConfigSource, Commands: map[Hook]Command{}}
	for _, h := range allHooks {
		raw, ok := cfg.Member(string(h))
		if !ok {
			continue
		}
		c, err := Parse(raw)
		if err != nil {
			return Source{}, fmt.Errorf("%s: %w", h, err)
		}
		src.Commands[h] = c
	}
	return src, nil
}

// Collect merges the image's devcontainer.metadata label (may be "") with
// the devcontainer.json: the label's Feature entries in their order, then
// the devcontainer.json (whose own label entry is replaced by the file, so
// a command is never run twice). initializeCommand only ever comes from the
// file: the spec keeps it out of the label.
func Collect(label string, cfg *devcontainer.Config) (Hooks, error) {
	var hs Hooks
	var own Source
	if cfg != nil {
		var err error
		if own, err = FromConfig(cfg); err != nil {
			return Hooks{}, err
		}
	}
	if label != "" {
		entries, err := metadataEntries(label)
		if err != nil {
			return Hooks{}, err
		}
		for i, e := range entries {
			id, _ := e["id"].(string)
			name := id
			if name == "" {
				name = "image"
			}
			src := Source{Name: name, Commands: map[Hook]Command{}}
			for _, h := range allHooks[1:] {
				v, ok := e[string(h)]
				if !ok {
					continue
				}
				raw, _ := json.Marshal(v)
				c, err := Parse(raw)
				if err != nil {
					return Hooks{}, fmt.Errorf("%s entry %d (%s) %s: %w", MetadataLabel, i, id, h, err)
				}
				src.Commands[h] = c
			}
			if len(src.Commands) == 0 || (id == "" && cfg != nil && sameContainerHooks(src.Commands, own.Commands)) {
				continue // nothing to run, or the devcontainer.json's own entry
			}
			hs.Sources = append(hs.Sources, src)
		}
	}
	if cfg != nil {
		hs.Sources = append(hs.Sources, own)
	}
	return hs, nil
}

// sameContainerHooks compares the container hooks of two sources.
func sameContainerHooks(a, b map[Hook]Command) bool {
	for _, h := range allHooks[1:] {
		if !reflect.DeepEqual(a[h], b[h]) {
			return false
		}
	}
	return true
}

// metadataEntries reads the label: a JSON array of objects, or one object.
func metadataEntries(label string) ([]map[string]any, error) {
	var entries []map[string]any
	if err := json.Unmarshal([]byte(label), &entries); err == nil {
		return entries, nil
	}
	var one map[string]any
	if err := json.Unmarshal([]byte(label), &one); err != nil {
		return nil, fmt.Errorf("%s label is neither an array nor an object: %w: %w", MetadataLabel, err, errdefs.ErrInvalidArgument)
	}
	return []map[string]any{one}, nil
}

// RemoteUser is the user lifecycle commands run as in the container: the
// last remoteUser of the metadata label's entries and the devcontainer.json,
// else the last containerUser, else "" (the image's user). It follows the
// label merge rule: last wins.
func RemoteUser(label string, cfg *devcontainer.Config) (string, error) {
	var remote, container string
	if label != "" {
		entries, err := metadataEntries(label)
		if err != nil {
			return "", err
		}
		for _, e := range entries {
			if v, _ := e["remoteUser"].(string); v != "" {
				remote = v
			}
			if v, _ := e["containerUser"].(string); v != "" {
				container = v
			}
		}
	}
	if cfg != nil {
		if cfg.RemoteUser != "" {
			remote = cfg.RemoteUser
		}
		if cfg.ContainerUser != "" {
			container = cfg.ContainerUser
		}
	}
	if remote != "" {
		return remote, nil
	}
	return container, nil
}
