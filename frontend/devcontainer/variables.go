package devcontainer

import (
	"regexp"
	"strings"
)

// Build args a client passes the substitution's values with (buildx
// --build-arg, buildctl --opt build-arg:NAME=…). The devcache CLI computes
// the key with values and passes the frontend the same ones under these names.
const (
	// ArgLocalEnvPrefix: build-arg "localEnv:NAME" is ${localEnv:NAME}.
	ArgLocalEnvPrefix = "localEnv:"
	// ArgWorkspaceFolder is ${localWorkspaceFolder}.
	ArgWorkspaceFolder = "localWorkspaceFolder"
	// ArgConfigDir is devcontainer.json's folder relative to the build
	// context (default: the folder of the filename option when it has one,
	// "." for .devcontainer.json, else ".devcontainer").
	ArgConfigDir = "DEVCACHE_CONFIG_DIR"
)

// varRE is the reference CLI's variable grammar: "${", anything up to the
// first "}", split at ":" into the variable and its arguments.
var varRE = regexp.MustCompile(`\$\{(.*?)\}`)

// Variable is one ${…} reference.
type Variable struct {
	// Start and End are the byte offsets of "${" and past "}".
	Start, End int
	// Kind is the variable as written: localEnv, env, containerEnv,
	// localWorkspaceFolder, ….
	Kind string
	// Args are the ":"-separated arguments: NAME, then a default.
	Args []string
}

func parseVariable(inner string) Variable {
	parts := strings.Split(inner, ":")
	return Variable{Kind: parts[0], Args: parts[1:]}
}

// LocalEnv is the NAME of ${localEnv:NAME[:default]} (or its alias
// ${env:…}); ok is false for other variables and an empty NAME.
func (v Variable) LocalEnv() (name string, ok bool) {
	if (v.Kind != "localEnv" && v.Kind != "env") || len(v.Args) == 0 || v.Args[0] == "" {
		return "", false
	}
	return v.Args[0], true
}

// Default is the default of a ${localEnv:NAME:default}: the second
// argument only, as the reference CLI takes it.
func (v Variable) Default() (string, bool) {
	if len(v.Args) < 2 {
		return "", false
	}
	return v.Args[1], true
}

// Variables lists the ${…} references in text, in order.
func Variables(text []byte) []Variable {
	var out []Variable
	for _, m := range varRE.FindAllSubmatchIndex(text, -1) {
		v := parseVariable(string(text[m[2]:m[3]]))
		v.Start, v.End = m[0], m[1]
		out = append(out, v)
	}
	return out
}

// LocalEnvNames lists the names of the ${localEnv:NAME} and ${env:NAME}
// variables data refers to, first occurrence each: the values a client
// passes as ArgLocalEnvPrefix+NAME build args.
func LocalEnvNames(data []byte) []string {
	var names []string
	seen := map[string]bool{}
	for _, v := range Variables(data) {
		if n, ok := v.LocalEnv(); ok && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return names
}
