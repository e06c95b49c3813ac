package builder

import (
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerui"

	"github.com/devcache/devcache/frontend/devcontainer"
	access "github.com/devcache/devcache/internal/registry"
)

// Frontend options, read from the build args (buildx --build-arg, buildctl
// --opt build-arg:NAME=…) so every selection path can pass them; the
// substitution's values come as devcontainer.Arg* build args.
const (
	// argFeatureAuth maps registries to build secrets holding the
	// Authorization header for Feature manifests:
	// "registry=secretid[,registry=secretid…]".
	argFeatureAuth = "DEVCACHE_FEATURE_AUTH"
	// argRegistryAuthSecret names a build secret holding a docker
	// config.json (inline "auths") used to fetch Feature manifests when the
	// frontend runs from its image.
	argRegistryAuthSecret = "DEVCACHE_REGISTRY_AUTH_SECRET" //nolint:gosec // the name of a build arg, not a credential
	// argRegistryCASecret names a build secret holding PEM CA certificates
	// trusted, besides the image's CA bundle, when the frontend fetches
	// Feature manifests from its image (a registry behind a private CA).
	argRegistryCASecret = "DEVCACHE_REGISTRY_CA_SECRET"
	// ArgInsecureRegistries lists registries reached over plain HTTP
	// (localhost and loopback addresses always are).
	ArgInsecureRegistries = "DEVCACHE_INSECURE_REGISTRIES"

	keyFilename      = "filename"
	keyRequestID     = "requestid"
	keyDockerfileKey = "dockerfilekey"
	keyLocalSession  = "local-sessionid:"
)

// options are the frontend's own settings.
type options struct {
	// filename is devcontainer.json's path in the dockerfile local.
	filename string
	// dfLocal is the name of the local holding devcontainer.json.
	dfLocal, dfSession string
	// configDir is devcontainer.json's folder in the dockerfile local.
	configDir string
	// contextDir is devcontainer.json's folder in the build context.
	contextDir  string
	subst       devcontainer.Substituter
	featureAuth map[string]string
	// registryAuthSecret is the docker config secret for manifest fetches.
	registryAuthSecret string
	// registryCASecret is the CA certificates secret for manifest fetches.
	registryCASecret string
	insecure         access.Insecure // DEVCACHE_INSECURE_REGISTRIES
}

func parseOptions(bc *dockerui.Client) options {
	return parseOptionsFrom(bc, bc.BuildOpts().Opts, bc.BuildOpts().SessionID)
}

func parseOptionsFrom(bc *dockerui.Client, opts map[string]string, sessionID string) options {
	o := options{
		filename:    opts[keyFilename],
		dfLocal:     opts[keyDockerfileKey],
		dfSession:   sessionID,
		featureAuth: map[string]string{},
	}
	if o.filename == "" {
		o.filename = "devcontainer.json"
	}
	if o.dfLocal == "" {
		o.dfLocal = dockerui.DefaultLocalNameDockerfile
	}
	if s, ok := opts[keyLocalSession+o.dfLocal]; ok {
		o.dfSession = s
	}
	o.configDir = path.Dir(o.filename)
	switch {
	case bc.BuildArgs[devcontainer.ArgConfigDir] != "":
		o.contextDir = path.Clean(bc.BuildArgs[devcontainer.ArgConfigDir])
	case path.Base(o.filename) == ".devcontainer.json":
		o.contextDir = o.configDir
	case o.configDir != ".":
		o.contextDir = o.configDir
	default:
		o.contextDir = ".devcontainer"
	}
	args := bc.BuildArgs
	o.subst = devcontainer.Substituter{
		LocalEnv: func(name string) (string, bool) {
			v, ok := args[devcontainer.ArgLocalEnvPrefix+name]
			return v, ok
		},
		LocalWorkspaceFolder: args[devcontainer.ArgWorkspaceFolder],
	}
	o.registryAuthSecret = args[argRegistryAuthSecret]
	o.registryCASecret = args[argRegistryCASecret]
	for _, kv := range strings.Split(args[argFeatureAuth], ",") {
		if reg, id, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
			o.featureAuth[reg] = id
		}
	}
	for _, r := range strings.Split(args[ArgInsecureRegistries], ",") {
		if r = strings.TrimSpace(r); r != "" {
			o.insecure = append(o.insecure, r)
		}
	}
	return o
}

// inConfigDir is p (relative to devcontainer.json) as a path in the
// dockerfile local.
func (o options) inConfigDir(p string) string {
	return path.Clean(path.Join(o.configDir, p))
}
