package devcontainer

import "encoding/json"

// Config is the part of a devcontainer.json that affects the built image.
// String values are as written (unsubstituted); see Substituter.
type Config struct {
	Name  string
	Image string
	// Build is set for Dockerfile configurations (build.dockerfile or the
	// legacy top-level dockerFile).
	Build *Build
	// Features in file order.
	Features []FeatureEntry
	// OverrideFeatureInstallOrder lists Feature ids without version.
	OverrideFeatureInstallOrder []string
	ContainerEnv                map[string]string
	// ContainerEnvOrder is the order of ContainerEnv in the file.
	ContainerEnvOrder []string
	ContainerUser     string
	RemoteUser        string

	// Members holds every top-level property in file order as standard
	// JSON (comments and trailing commas removed), for the metadata label.
	Members []Member

	// Source is the parsed file, for positions.
	Source *Source
}

// Build is the Dockerfile part of a configuration.
type Build struct {
	// Dockerfile is relative to devcontainer.json.
	Dockerfile string
	// Context is relative to devcontainer.json; "" means the Dockerfile's folder.
	Context string
	Args    map[string]string
	// ArgOrder is the order of Args in the file.
	ArgOrder  []string
	Target    string
	Options   []string
	CacheFrom []string
}

// FeatureEntry is one member of "features".
type FeatureEntry struct {
	// ID is the user's Feature reference as written.
	ID string
	// Value is the standard-JSON value: an options object, a string (the
	// version shorthand) or a boolean.
	Value json.RawMessage
	// Range locates the member's value.
	Range Range
}

// Member is a top-level property.
type Member struct {
	Name  string
	Value json.RawMessage
}

// Member returns the raw value of the top-level property name.
func (c *Config) Member(name string) (json.RawMessage, bool) {
	for _, m := range c.Members {
		if m.Name == name {
			return m.Value, true
		}
	}
	return nil, false
}

// HasFeatures reports whether the configuration lists any Feature.
func (c *Config) HasFeatures() bool { return len(c.Features) > 0 }
