package devcontainer

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLocalEnvNames(t *testing.T) {
	got := LocalEnvNames([]byte(`{"a": "${localEnv:USER}", "b": "${env:TOKEN}", "c": "${localEnv:HOME:/root}", "d": "${localEnv:USER}", "e": "${localWorkspaceFolder}", "f": "${localEnv:}", "g": "${containerEnv:PATH}"}`))
	assert.Equal(t, []string{"USER", "TOKEN", "HOME"}, got)
}

// The names a client passes (LocalEnvNames) are the names the substitution
// looks up: one grammar for both.
func TestLocalEnvNamesAreWhatSubstitutionReads(t *testing.T) {
	text := `${localEnv:A}-${env:B:def:more}-${localEnv:C:}-${localEnv::x}-${localEnvD}-${localEnv:E`
	var looked []string
	s := Substituter{LocalEnv: func(n string) (string, bool) { looked = append(looked, n); return "", false }}
	assert.Equal(t, "-def--${localEnv::x}-${localEnvD}-${localEnv:E", s.String(text))
	assert.Equal(t, looked, LocalEnvNames([]byte(text)))
}
