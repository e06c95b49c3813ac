package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/pflag"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/catalog"
	"github.com/devcache/devcache/prebuild/container"
	"github.com/devcache/devcache/prebuild/lifecycle"
)

// prebuildOptions are the prebuild and environment settings of a runner
// host, next to runnerOptions (buildkit, proxy, containerd).
type prebuildOptions struct {
	runner      runnerOptions
	registry    string
	insecure    bool
	stateDir    string
	image       string
	hostNetwork bool
}

func (o *prebuildOptions) register(f *pflag.FlagSet) {
	o.runner.register(f)
	f.StringVar(&o.registry, "registry", os.Getenv("DEVCACHE_PREBUILD_REGISTRY"), "registry host:port prebuilds are stored in, when not through devcache-proxy (--proxy) ($DEVCACHE_PREBUILD_REGISTRY)")
	f.BoolVar(&o.insecure, "insecure-registry", os.Getenv("DEVCACHE_INSECURE_REGISTRY") == "true", "reach the registry over plain HTTP ($DEVCACHE_INSECURE_REGISTRY=true)")
	f.StringVar(&o.stateDir, "state-dir", envOr("DEVCACHE_PREBUILD_STATE_DIR", "/var/lib/devcache/prebuild"), "this host's prebuild state: in-flight phases, working copies ($DEVCACHE_PREBUILD_STATE_DIR)")
	f.StringVar(&o.image, "image", "", "use this image (already in a registry) instead of getting the Dev Container image from the image cache")
	f.BoolVar(&o.hostNetwork, "host-network", true, "give prebuild and environment containers the host's network")
}

// host is where prebuilds live: the proxy when set, else --registry.
func (o *prebuildOptions) host() (string, error) {
	switch {
	case o.runner.proxy != "":
		return o.runner.proxy, nil
	case o.registry != "":
		return o.registry, nil
	}
	return "", fmt.Errorf("--proxy or --registry is required")
}

// credentials issues (project, create) credentials through the proxy; nil
// without a proxy (the docker config's are used).
func (o *prebuildOptions) credentials(ctx context.Context, project string) (*imagecache.HostCredentials, error) {
	return o.issue(ctx, project, contract.PurposeCreate)
}

func (o *prebuildOptions) issue(ctx context.Context, project string, purpose contract.Purpose) (*imagecache.HostCredentials, error) {
	if o.runner.proxy == "" {
		return nil, nil
	}
	c, err := o.runner.credentials()
	if err != nil {
		return nil, err
	}
	c.forPrebuild = true
	return c.Issue(ctx, project, purpose)
}

// renewing is a prebuild credential of (project, purpose) taken when it is
// first used and renewed before it expires, for the whole of a long pull,
// capture or push; nil without a proxy. With renewal off (the test hook)
// it is taken now and never renewed, as before renewal existed.
func (o *prebuildOptions) renewing(ctx context.Context, project string, purpose contract.Purpose) (*imagecache.Renewing, error) {
	if o.runner.proxy == "" {
		return nil, nil
	}
	issue := func(ctx context.Context) (*imagecache.HostCredentials, error) {
		return o.issue(ctx, project, purpose)
	}
	if !noRenewal() {
		return imagecache.NewLazyRenewing(o.runner.proxy, issue), nil
	}
	first, err := issue(ctx)
	if err != nil {
		return nil, err
	}
	r := imagecache.NewRenewing(first, issue)
	r.Off = true
	return r, nil
}

func authenticator(c *imagecache.HostCredentials) authn.Authenticator {
	if c == nil {
		return nil
	}
	return &authn.Basic{Username: c.Username, Password: c.Password}
}

// catalog is the registry catalog with the project's credentials.
func (o *prebuildOptions) catalog() (*catalog.Registry, error) {
	h, err := o.host()
	if err != nil {
		return nil, err
	}
	return &catalog.Registry{Host: h, Insecure: o.insecure, Auth: func(ctx context.Context, project string) (authn.Authenticator, error) {
		c, err := o.credentials(ctx, project)
		if err != nil || c == nil {
			return authn.FromConfig(authn.AuthConfig{}), err
		}
		return authenticator(c), nil
	}}, nil
}

// pullOptions pull with the project's credentials of purpose, renewed
// while the pull runs: create for a prebuild, refresh (pull-only) for an
// environment.
func (o *prebuildOptions) pullOptions(ctx context.Context, project string, purpose contract.Purpose) (container.PullOptions, error) {
	po := container.PullOptions{Snapshotter: o.snapshotter()}
	if h, _ := o.host(); h != "" && o.insecure {
		po.PlainHTTP = []string{h}
	}
	src, err := o.renewing(ctx, project, purpose)
	if err != nil {
		return po, err
	}
	if src != nil {
		po.Authorizer = imagecache.NewAuthorizer(src)
	}
	return po, nil
}

// remoteOptions are the capture's and push's registry options: a create
// credential taken when the capture first reaches the registry, not
// before the setup runs, and renewed while it pushes.
func (o *prebuildOptions) remoteOptions(ctx context.Context, project string) ([]remote.Option, error) {
	src, err := o.renewing(ctx, project, contract.PurposeCreate)
	if err != nil {
		return nil, err
	}
	if src == nil {
		return []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}, nil
	}
	return []remote.Option{remote.WithAuth(imagecache.Authenticator(src, src.Host))}, nil
}

func (o *prebuildOptions) snapshotter() string {
	if o.runner.snapshotter != "" {
		return o.runner.snapshotter
	}
	return "devcache"
}

func (o *prebuildOptions) containerd() (*containerd.Client, error) {
	addr := o.runner.containerd
	if addr == "" {
		addr = "/run/containerd/containerd.sock"
	}
	c, err := containerd.New(addr, containerd.WithTimeout(10*time.Second))
	if err != nil {
		return nil, fmt.Errorf("containerd at %s: %w", addr, err)
	}
	return c, nil
}

// images is step 1: a fixed --image, or the image cache (purpose create:
// a prebuild may push the image it builds).
func (o *prebuildOptions) images(ctx context.Context) (prebuild.ImageSource, func(), error) {
	if o.image != "" {
		return fixedImage(o.image), func() {}, nil
	}
	c, cleanup, err := o.runner.cache(ctx, os.Stderr)
	if err != nil {
		return nil, nil, err
	}
	c.Runtime = nil // the prebuild runner pulls into the devcache snapshotter itself
	return cacheImages{c}, cleanup, nil
}

type fixedImage string

// Image implements prebuild.ImageSource. With a fixed image, the
// configuration's key is the digest of the image reference and the
// devcontainer.json (a changed file is a changed environment), so
// incremental prebuilds can tell whether it changed.
func (f fixedImage) Image(_ context.Context, _, folder, config string) (*prebuild.Image, error) {
	if !filepath.IsAbs(config) {
		config = filepath.Join(folder, config)
	}
	b, err := os.ReadFile(config)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append([]byte(string(f)+"\n"), b...))
	return &prebuild.Image{Ref: string(f), ConfigKey: "fixed-image:sha256:" + hex.EncodeToString(sum[:])}, nil
}

type cacheImages struct{ c *imagecache.Cache }

func (a cacheImages) Image(ctx context.Context, project, folder, config string) (*prebuild.Image, error) {
	if !filepath.IsAbs(config) {
		config = filepath.Join(folder, config)
	}
	res, err := a.c.Get(ctx, imagecache.Request{
		Workspace: imagecache.Workspace{Folder: folder, Config: config},
		Project:   project, Purpose: contract.PurposeCreate,
	})
	if err != nil {
		return nil, err
	}
	if !res.Pushed && res.Outcome != imagecache.OutcomeHit {
		return nil, fmt.Errorf("the dev container image was built but not pushed (%s): a prebuild needs it in the registry (--image names one already there)", res.Reason)
	}
	secs := res.BuildSeconds
	if res.Outcome == imagecache.OutcomeHit {
		secs = res.SavedSeconds
	}
	return &prebuild.Image{Ref: res.Image, ConfigKey: res.Key, BuildSeconds: secs}, nil
}

// secretFlags collect --secret and --secret-file.
type secretFlags struct {
	values, files []string
}

func (s *secretFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&s.values, "secret", nil, "SCOPE:NAME[=VALUE] secret as an environment variable (scope organization, project or user; the value defaults to $NAME) (repeatable)")
	f.StringArrayVar(&s.files, "secret-file", nil, "SCOPE:NAME=PATH secret mounted as a file at "+lifecycle.SecretsDir+"/NAME (repeatable)")
}

func (s *secretFlags) parse() (lifecycle.Secrets, error) {
	var out lifecycle.Secrets
	parse := func(v string, file bool) error {
		scope, rest, ok := strings.Cut(v, ":")
		if !ok {
			return fmt.Errorf("secret %q: want SCOPE:NAME", v)
		}
		sc := lifecycle.Scope(scope)
		switch scope {
		case "org", "organization":
			sc = lifecycle.ScopeOrganization
		case "project", "user":
		default:
			return fmt.Errorf("secret %q: unknown scope %q", v, scope)
		}
		name, val, hasVal := strings.Cut(rest, "=")
		sec := lifecycle.Secret{Name: name, Scope: sc, AsFile: file}
		switch {
		case file:
			b, err := os.ReadFile(val)
			if err != nil {
				return fmt.Errorf("secret %s: %w", name, err)
			}
			sec.Value = b
		case hasVal:
			sec.Value = []byte(val)
		default:
			sec.Value = []byte(os.Getenv(name))
		}
		out = append(out, sec)
		return nil
	}
	for _, v := range s.values {
		if err := parse(v, false); err != nil {
			return nil, err
		}
	}
	for _, v := range s.files {
		if err := parse(v, true); err != nil {
			return nil, err
		}
	}
	return out, out.Validate()
}
