package devcontainer

import (
	"maps"
	"path"
	"strings"
)

// Substituter expands the variables the reference CLI substitutes when it
// reads a configuration for a build: ${localEnv:NAME[:default]} (alias
// ${env:…}), ${localWorkspaceFolder}, ${localWorkspaceFolderBasename},
// ${containerWorkspaceFolder} and ${containerWorkspaceFolderBasename}.
// ${containerEnv:NAME[:default]} is expanded when ContainerEnv is set (at
// environment start, for remoteEnv). Anything else (${devcontainerId},
// unknown names) is left verbatim, as the CLI leaves it at build time.
type Substituter struct {
	// LocalEnv looks up a variable of the machine that asked for the build.
	LocalEnv func(name string) (string, bool)
	// LocalWorkspaceFolder is the workspace path on that machine.
	LocalWorkspaceFolder string
	// ContainerWorkspaceFolder defaults to /workspaces/<basename>.
	ContainerWorkspaceFolder string
	// ContainerEnv looks up a variable of the running container (nil at
	// build time: ${containerEnv:…} stays verbatim).
	ContainerEnv func(name string) (string, bool)
}

// String substitutes the variables in s.
func (s Substituter) String(in string) string {
	return varRE.ReplaceAllStringFunc(in, func(m string) string {
		v := parseVariable(m[2 : len(m)-1])
		args := append([]string{v.Kind}, v.Args...)
		switch v.Kind {
		case "localEnv", "env":
			name, ok := v.LocalEnv()
			if !ok {
				return m
			}
			if s.LocalEnv != nil {
				if val, ok := s.LocalEnv(name); ok {
					return val
				}
			}
			def, _ := v.Default()
			return def
		case "containerEnv":
			if s.ContainerEnv == nil || len(args) < 2 || args[1] == "" {
				return m
			}
			if v, ok := s.ContainerEnv(args[1]); ok {
				return v
			}
			if len(args) > 2 {
				return strings.Join(args[2:], ":")
			}
			return ""
		case "localWorkspaceFolder":
			return s.LocalWorkspaceFolder
		case "localWorkspaceFolderBasename":
			return path.Base(s.LocalWorkspaceFolder)
		case "containerWorkspaceFolder":
			return s.containerWorkspaceFolder()
		case "containerWorkspaceFolderBasename":
			return path.Base(s.containerWorkspaceFolder())
		}
		return m
	})
}

func (s Substituter) containerWorkspaceFolder() string {
	if s.ContainerWorkspaceFolder != "" {
		return s.ContainerWorkspaceFolder
	}
	return "/workspaces/" + path.Base(s.LocalWorkspaceFolder)
}

// Substitute returns a copy of c with the variables in the properties that
// reach the image (image, build, containerEnv, users) expanded. Members keeps
// the raw values: the metadata label stores the configuration unsubstituted.
func (c *Config) Substitute(s Substituter) *Config {
	out := *c
	out.Image = s.String(c.Image)
	out.ContainerUser = s.String(c.ContainerUser)
	out.RemoteUser = s.String(c.RemoteUser)
	out.ContainerEnv = substMap(s, c.ContainerEnv)
	if c.Build != nil {
		b := *c.Build
		b.Dockerfile = s.String(b.Dockerfile)
		b.Context = s.String(b.Context)
		b.Target = s.String(b.Target)
		b.Args = substMap(s, b.Args)
		b.Options = substSlice(s, b.Options)
		b.CacheFrom = substSlice(s, b.CacheFrom)
		out.Build = &b
	}
	return &out
}

func substMap(s Substituter, m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = s.String(v)
	}
	return out
}

func substSlice(s Substituter, in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = s.String(v)
	}
	return out
}

// EmptyLocalEnv returns the ${localEnv:NAME} variables of in, without a
// default, that are unset or empty: why a value came out empty (an image
// "${localEnv:DEVCACHE_REGISTRY}/base" that became "/base").
func (s Substituter) EmptyLocalEnv(in string) []string {
	var names []string
	for _, v := range Variables([]byte(in)) {
		name, ok := v.LocalEnv()
		if _, hasDefault := v.Default(); !ok || hasDefault {
			continue
		}
		if s.LocalEnv != nil {
			if val, ok := s.LocalEnv(name); ok && val != "" {
				continue
			}
		}
		names = append(names, name)
	}
	return names
}
