package imagecache

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReadVariables(t *testing.T) {
	env := map[string]string{"USER": "dev", "TOKEN": "t0k", "UNUSED": "x"}
	lookup := func(n string) (string, bool) { v, ok := env[n]; return v, ok }
	cfg := []byte(`{"containerEnv": {"A": "${localEnv:USER}", "B": "${env:TOKEN}", "C": "${localEnv:MISSING:default}"}}`)
	v := ReadVariables(Workspace{Folder: "/ws", Config: "/ws/.devcontainer/devcontainer.json"}, cfg, lookup)

	assert.Equal(t, map[string]string{"USER": "dev", "TOKEN": "t0k"}, v.LocalEnv, "only referenced, present variables")
	assert.Equal(t, ".devcontainer", v.ConfigDir)
	assert.Equal(t, map[string]string{
		"build-arg:localWorkspaceFolder": "/ws",
		"build-arg:DEVCACHE_CONFIG_DIR":  ".devcontainer",
		"build-arg:localEnv:USER":        "dev",
		"build-arg:localEnv:TOKEN":       "t0k",
	}, v.FrontendOpts())
	assert.Equal(t, "dev-/ws", v.Substituter().String("${localEnv:USER}-${localWorkspaceFolder}"))
}
