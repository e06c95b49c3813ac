package llbgen

import (
	"fmt"
	"maps"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/features"
	"github.com/devcache/devcache/frontend/metadata"
)

// Base is what Features are installed on.
type Base struct {
	// State is the base root filesystem, carrying the image's env/user/dir.
	State llb.State
	// Image is the base image config.
	Image *dockerspec.DockerOCIImage
}

// Feature is a resolved Feature with its files.
type Feature struct {
	*features.Feature
	// Files holds the Feature's files (install.sh, devcontainer-feature.json,
	// …) at its root.
	Files llb.State
	// Location attaches a source location (the Feature's entry in
	// devcontainer.json) to its install step; may be nil.
	Location llb.ConstraintsOpt
}

// Opt is the input of Generate.
type Opt struct {
	// Config is the configuration with variables substituted; its Members
	// stay raw for the metadata label.
	Config *devcontainer.Config
	// Features in install order.
	Features []Feature
	// Platform of the image.
	Platform ocispecs.Platform
	// Labels are added to the image (--label, the cache key…); they win over
	// base labels but not over devcontainer.metadata.
	Labels map[string]string
	// Constraints apply to every op (e.g. llb.WithCaps, platform).
	Constraints []llb.ConstraintsOpt
}

// Result is the generated build.
type Result struct {
	State llb.State
	Image *dockerspec.DockerOCIImage
	// ContainerUser and RemoteUser are the users the Features saw.
	ContainerUser, RemoteUser string
}

// Generate builds the LLB and image config.
func Generate(base Base, opt Opt) (*Result, error) {
	img := cloneImage(base.Image)
	img.Platform = opt.Platform
	img.Created = nil
	img.RootFS.Type = "layers"

	baseEntries := metadata.Parse(img.Config.Labels[metadata.LabelKey])
	cu, ru := Users(baseEntries, opt.Config, img.Config.User)

	st := base.State
	if len(opt.Features) > 0 {
		st = st.User("root")
		st = st.File(llb.Mkdir(features.ContentDir, 0o755, llb.WithParents(true)).
			Mkfile(features.BuiltinEnvFile, 0o755, []byte(features.BuiltinEnv(cu, ru))),
			append(opt.Constraints, llb.WithCustomName("[features] write builtin env"))...)
		st = st.Run(append(runOpts(opt), shArgs(features.HomesScript(cu, ru)),
			llb.WithCustomName("[features] look up user homes"))...).Root()

		env := img.Config.Env
		lex := shell.NewLex('\\')
		for i, f := range opt.Features {
			for _, ev := range f.Metadata.ContainerEnv {
				// ENV K="v" with " and \ escaped and $ expanded, as the CLI writes it.
				word := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(ev.Value) + `"`
				v, _, err := lex.ProcessWord(word, shell.EnvsFromSlice(env))
				if err != nil {
					return nil, fmt.Errorf("feature %q: containerEnv %s: %w", f.Ref.UserID, ev.Name, err)
				}
				env = setEnv(env, ev.Name, v)
				st = st.AddEnv(ev.Name, v)
			}
			cid := fmt.Sprintf("%s_%d", f.Metadata.ID, i)
			content := llb.Scratch().File(
				llb.Copy(f.Files, "/", "/", &llb.CopyInfo{CopyDirContentsOnly: true}).
					Mkfile("/"+features.EnvFileName, 0o644, []byte(features.EnvFile(f.Env()))).
					Mkfile("/"+features.WrapperName, 0o755, []byte(features.Wrapper(f.Feature))),
				append(opt.Constraints, llb.WithCustomNamef("[features] stage %s", f.Ref.UserID))...)
			ro := append(runOpts(opt), shArgs(features.InstallScript(cid)),
				llb.AddMount(features.SourceDir+"/"+cid, content, llb.Readonly),
				llb.WithCustomNamef("[features] install %s", f.Ref.UserID))
			if f.Location != nil {
				ro = append(ro, f.Location)
			}
			st = st.Run(ro...).Root()
		}
		// The CLI restores the image user (root when the image has none)
		// and appends the configuration's containerEnv, $-escaped.
		user := img.Config.User
		if user == "" {
			user = "root"
		}
		st = st.User(user)
		img.Config.User = user
		for _, k := range opt.Config.ContainerEnvOrder {
			v := opt.Config.ContainerEnv[k]
			env = setEnv(env, k, v)
			st = st.AddEnv(k, v)
		}
		img.Config.Env = env
	}

	label, err := metadata.Label(baseEntries, featureList(opt.Features), opt.Config)
	if err != nil {
		return nil, err
	}
	if img.Config.Labels == nil {
		img.Config.Labels = map[string]string{}
	}
	maps.Copy(img.Config.Labels, opt.Labels)
	if label != "" {
		img.Config.Labels[metadata.LabelKey] = label
	}
	return &Result{State: st, Image: img, ContainerUser: cu, RemoteUser: ru}, nil
}

// Users returns _CONTAINER_USER and _REMOTE_USER as the CLI computes them:
// the last metadata entry (base entries, then the configuration) that sets
// containerUser, else the image user, else root; remoteUser likewise, else
// the container user.
func Users(base []metadata.Entry, c *devcontainer.Config, imageUser string) (containerUser, remoteUser string) {
	find := func(name string) string {
		if name == "containerUser" && c.ContainerUser != "" {
			return c.ContainerUser
		}
		if name == "remoteUser" && c.RemoteUser != "" {
			return c.RemoteUser
		}
		for i := len(base) - 1; i >= 0; i-- {
			for _, m := range base[i] {
				var s string
				if m.Name == name && jsonString(m.Value, &s) && s != "" {
					return s
				}
			}
		}
		return ""
	}
	containerUser = find("containerUser")
	if containerUser == "" {
		containerUser = imageUser
	}
	if containerUser == "" {
		containerUser = "root"
	}
	remoteUser = find("remoteUser")
	if remoteUser == "" {
		remoteUser = containerUser
	}
	return containerUser, remoteUser
}

func featureList(fs []Feature) []*features.Feature {
	out := make([]*features.Feature, len(fs))
	for i, f := range fs {
		out[i] = f.Feature
	}
	return out
}

func runOpts(opt Opt) []llb.RunOption {
	ro := make([]llb.RunOption, 0, len(opt.Constraints)+4)
	for _, c := range opt.Constraints {
		ro = append(ro, c)
	}
	return ro
}

func shArgs(script string) llb.RunOption {
	return llb.Args([]string{"/bin/sh", "-c", script})
}

// setEnv sets k=v in a KEY=VALUE list, replacing an existing key in place.
func setEnv(env []string, k, v string) []string {
	out := make([]string, 0, len(env)+1)
	found := false
	for _, e := range env {
		if name, _, _ := strings.Cut(e, "="); name == k {
			if !found {
				out = append(out, k+"="+v)
				found = true
			}
			continue
		}
		out = append(out, e)
	}
	if !found {
		out = append(out, k+"="+v)
	}
	return out
}
