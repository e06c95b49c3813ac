package features

import (
	"encoding/json"
	"fmt"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/frontend/devcontainer"
)

// MetadataFile is the name of a Feature's metadata file.
const MetadataFile = "devcontainer-feature.json"

// Metadata is a parsed devcontainer-feature.json.
type Metadata struct {
	ID               string
	Version          string
	Name             string
	Description      string
	DocumentationURL string
	// Options in file order.
	Options []Option
	// ContainerEnv in file order.
	ContainerEnv []EnvVar
	// DependsOn in file order; values as in devcontainer.json's "features".
	DependsOn     []devcontainer.Member
	InstallsAfter []string
	LegacyIDs     []string
	Deprecated    bool
	// Members are all top-level properties in file order (for the label).
	Members []devcontainer.Member
}

// Option is one entry of "options".
type Option struct {
	Name string
	Type string
	// Default is the JSON default value, nil when absent.
	Default json.RawMessage
}

// EnvVar is a name=value pair.
type EnvVar struct {
	Name, Value string
}

// MaxMetadataSize is the largest devcontainer-feature.json accepted (1 MiB).
const MaxMetadataSize = 1 << 20

// ParseMetadata parses devcontainer-feature.json (JSONC, like the CLI).
func ParseMetadata(filename string, data []byte) (*Metadata, error) {
	if len(data) > MaxMetadataSize {
		return nil, fmt.Errorf("%s is over the limit of %d bytes (1 MiB): %w", filename, MaxMetadataSize, errdefs.ErrInvalidArgument)
	}
	src, err := devcontainer.ParseSource(filename, data)
	if err != nil {
		return nil, err
	}
	m := &Metadata{Members: src.Members()}
	if m.Members == nil {
		return nil, src.ErrorAt("must contain a JSON object literal")
	}
	dec := func(dst any, path ...string) error {
		raw, ok := src.Raw(path...)
		if !ok || string(raw) == "null" {
			return nil
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return src.ErrorAt(fmt.Sprintf("wrong type: %v", err), path...)
		}
		return nil
	}
	var containerEnv map[string]string
	for _, e := range []error{
		dec(&m.ID, "id"), dec(&m.Version, "version"), dec(&m.Name, "name"),
		dec(&m.Description, "description"), dec(&m.DocumentationURL, "documentationURL"),
		dec(&m.InstallsAfter, "installsAfter"), dec(&m.LegacyIDs, "legacyIds"),
		dec(&m.Deprecated, "deprecated"), dec(&containerEnv, "containerEnv"),
	} {
		if e != nil {
			return nil, e
		}
	}
	if m.ID == "" {
		return nil, fmt.Errorf("%s: \"id\" is required: %w", filename, errdefs.ErrInvalidArgument)
	}
	for _, mem := range src.Members("containerEnv") {
		m.ContainerEnv = append(m.ContainerEnv, EnvVar{Name: mem.Name, Value: containerEnv[mem.Name]})
	}
	m.DependsOn = src.Members("dependsOn")
	for _, mem := range src.Members("options") {
		var o struct {
			Type    string          `json:"type"`
			Default json.RawMessage `json:"default"`
		}
		if err := json.Unmarshal(mem.Value, &o); err != nil {
			return nil, src.ErrorAt(fmt.Sprintf("wrong type: %v", err), "options", mem.Name)
		}
		m.Options = append(m.Options, Option{Name: mem.Name, Type: o.Type, Default: o.Default})
	}
	return m, nil
}

// Member returns the raw top-level property name.
func (m *Metadata) Member(name string) (json.RawMessage, bool) {
	for _, mem := range m.Members {
		if mem.Name == name {
			return mem.Value, true
		}
	}
	return nil, false
}

func (m *Metadata) hasOption(name string) bool {
	for _, o := range m.Options {
		if o.Name == name {
			return true
		}
	}
	return false
}
