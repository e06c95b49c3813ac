package builder

import (
	"bytes"
	"context"
	"regexp"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/pb"
)

// handlers answers --call targets (one target) and --call outline (the
// build args the configuration's variables read, with their lines).
func handlers(src *dockerui.Source, o options) dockerui.RequestHandler {
	return dockerui.RequestHandler{
		ListTargets: func(context.Context) (*targets.List, error) {
			return &targets.List{Targets: []targets.Target{{
				Name: Target, Default: true, Description: "the Dev Container image (base + Features)",
			}}}, nil
		},
		Outline: func(context.Context) (*outline.Outline, error) {
			out := &outline.Outline{Name: Target, Description: "Dev Container image from " + src.Filename, Args: variableArgs(src.Data)}
			out.Sources = [][]byte{src.Data}
			ids := make([]string, 0, len(o.featureAuth))
			for _, id := range o.featureAuth {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for _, id := range ids {
				out.Secrets = append(out.Secrets, outline.Secret{Name: id, Required: true})
			}
			return out, nil
		},
	}
}

var outlineVarRE = regexp.MustCompile(`\$\{(localEnv|env):([^}:]+)(?::([^}:]*))?[^}]*\}|\$\{(localWorkspaceFolder|localWorkspaceFolderBasename|containerWorkspaceFolder|containerWorkspaceFolderBasename)\}`)

// LocalEnvNames lists the names of the ${localEnv:NAME} and ${env:NAME}
// variables data refers to, first occurrence each: the values a client
// passes as ArgLocalEnvPrefix+NAME build args.
func LocalEnvNames(data []byte) []string {
	var names []string
	seen := map[string]bool{}
	for _, m := range outlineVarRE.FindAllSubmatch(data, -1) {
		if n := string(m[2]); len(m[1]) > 0 && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return names
}

// variableArgs lists the build args that ${localEnv:…} and
// ${localWorkspaceFolder…} in the file read, first occurrence each.
func variableArgs(data []byte) []outline.Arg {
	var args []outline.Arg
	seen := map[string]bool{}
	for _, m := range outlineVarRE.FindAllSubmatchIndex(data, -1) {
		var name, value, desc string
		if m[2] >= 0 {
			name = ArgLocalEnvPrefix + string(data[m[4]:m[5]])
			if m[6] >= 0 {
				value = string(data[m[6]:m[7]])
			}
			desc = "value of ${" + string(data[m[2]:m[3]]) + ":" + string(data[m[4]:m[5]]) + "}"
		} else {
			name, desc = ArgWorkspaceFolder, "the workspace folder on the machine that asked for the build"
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		line := clamp32(bytes.Count(data[:m[0]], []byte("\n")) + 1)
		args = append(args, outline.Arg{
			Name: name, Description: desc, Value: strings.TrimSpace(value),
			Location: &pb.Location{Ranges: []*pb.Range{{Start: &pb.Position{Line: line}, End: &pb.Position{Line: line}}}},
		})
	}
	return args
}
