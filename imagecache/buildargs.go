package imagecache

import (
	"os"
	"path/filepath"

	"github.com/devcache/devcache/frontend/devcontainer"
)

// Variables are the values a build substitutes: the key is computed with
// them and the frontend receives the same ones as build args, so the image's
// key label equals the key the runner looked up.
type Variables struct {
	LocalEnv        map[string]string
	WorkspaceFolder string
	// ConfigDir is devcontainer.json's folder relative to the workspace.
	ConfigDir string
}

// ReadVariables collects the ${localEnv:NAME} values the configuration
// refers to from lookup (os.LookupEnv when nil).
func ReadVariables(ws Workspace, config []byte, lookup func(string) (string, bool)) Variables {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v := Variables{LocalEnv: map[string]string{}, WorkspaceFolder: ws.Folder, ConfigDir: "."}
	if rel, err := filepath.Rel(ws.Folder, filepath.Dir(ws.Config)); err == nil {
		v.ConfigDir = filepath.ToSlash(rel)
	}
	for _, name := range devcontainer.LocalEnvNames(config) {
		if val, ok := lookup(name); ok {
			v.LocalEnv[name] = val
		}
	}
	return v
}

// Substituter expands variables with these values.
func (v Variables) Substituter() devcontainer.Substituter {
	return devcontainer.Substituter{
		LocalEnv: func(name string) (string, bool) {
			val, ok := v.LocalEnv[name]
			return val, ok
		},
		LocalWorkspaceFolder: v.WorkspaceFolder,
	}
}

// FrontendOpts passes the values to the frontend as build args.
func (v Variables) FrontendOpts() map[string]string {
	opts := map[string]string{
		"build-arg:" + devcontainer.ArgWorkspaceFolder: v.WorkspaceFolder,
		"build-arg:" + devcontainer.ArgConfigDir:       v.ConfigDir,
	}
	for name, val := range v.LocalEnv {
		opts["build-arg:"+devcontainer.ArgLocalEnvPrefix+name] = val
	}
	return opts
}
