package builder

import (
	"bytes"
	"context"
	"sort"
	"strings"

	"github.com/devcache/devcache/frontend/devcontainer"
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

// workspaceVariables are the variables ArgWorkspaceFolder gives.
var workspaceVariables = map[string]bool{
	"localWorkspaceFolder": true, "localWorkspaceFolderBasename": true,
	"containerWorkspaceFolder": true, "containerWorkspaceFolderBasename": true,
}

// variableArgs lists the build args that ${localEnv:…} and
// ${localWorkspaceFolder…} in the file read, first occurrence each.
func variableArgs(data []byte) []outline.Arg {
	var args []outline.Arg
	seen := map[string]bool{}
	for _, v := range devcontainer.Variables(data) {
		var name, value, desc string
		if n, ok := v.LocalEnv(); ok {
			name = devcontainer.ArgLocalEnvPrefix + n
			value, _ = v.Default()
			desc = "value of ${" + v.Kind + ":" + n + "}"
		} else if workspaceVariables[v.Kind] && len(v.Args) == 0 {
			name, desc = devcontainer.ArgWorkspaceFolder, "the workspace folder on the machine that asked for the build"
		} else {
			continue
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		line := clamp32(bytes.Count(data[:v.Start], []byte("\n")) + 1)
		args = append(args, outline.Arg{
			Name: name, Description: desc, Value: strings.TrimSpace(value),
			Location: &pb.Location{Ranges: []*pb.Range{{Start: &pb.Position{Line: line}, End: &pb.Position{Line: line}}}},
		})
	}
	return args
}
