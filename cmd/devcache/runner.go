package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/spf13/pflag"

	"github.com/devcache/devcache/imagecache"
	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/tracing"
	"github.com/devcache/devcache/registryproxy/credentials"
	"github.com/devcache/devcache/registryproxy/keys"
)

// runnerOptions are the runner host's settings: where buildkitd, the proxy
// and containerd are. Every flag has an environment variable, so a runner
// sets them once.
type runnerOptions struct {
	proxyOptions
	buildkitHost  string
	frontendImage string
	containerd    string
	namespace     string
	snapshotter   string
	cacheDisabled bool
	progress      progressui.DisplayMode
	platform      platformFlag
	compression   string
	// snapshotterAuth is devcache-snapshotter's docker config directory.
	snapshotterAuth string
}

// remoteSnapshotter is devcache-snapshotter's name in containerd's config
// (contrib/snapshotter): pulls into it start lazily.
const remoteSnapshotter = "devcache"

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func (o *runnerOptions) register(f *pflag.FlagSet) {
	f.StringVar(&o.buildkitHost, "buildkit-host", envOr("BUILDKIT_HOST", "unix:///run/buildkit/buildkitd.sock"), "buildkitd address ($BUILDKIT_HOST)")
	f.StringVar(&o.frontendImage, "frontend-image", os.Getenv("DEVCACHE_FRONTEND_IMAGE"), "run devcache-frontend from this image on buildkitd ($DEVCACHE_FRONTEND_IMAGE; default: in this process, which is faster)")
	o.proxyOptions.register(f)
	f.StringVar(&o.containerd, "containerd-address", os.Getenv("CONTAINERD_ADDRESS"), "containerd socket to make the image available in ($CONTAINERD_ADDRESS; empty: only print the reference)")
	f.StringVar(&o.namespace, "namespace", envOr("CONTAINERD_NAMESPACE", "devcache"), "containerd namespace ($CONTAINERD_NAMESPACE)")
	f.StringVar(&o.snapshotter, "snapshotter", os.Getenv("CONTAINERD_SNAPSHOTTER"), "containerd snapshotter to unpack into ($CONTAINERD_SNAPSHOTTER); \"devcache\" (devcache-snapshotter) starts eStargz images lazily")
	f.StringVar(&o.snapshotterAuth, "snapshotter-docker-config", os.Getenv("DEVCACHE_SNAPSHOTTER_DOCKER_CONFIG"), "with --snapshotter devcache: the snapshotter's docker config directory (its $DOCKER_CONFIG), given the pull's credentials ($DEVCACHE_SNAPSHOTTER_DOCKER_CONFIG)")
	f.StringVar(&o.compression, "layer-compression", envOr("DEVCACHE_LAYER_COMPRESSION", imagecache.CompressionEStargz), "compression of built layers: "+strings.Join(imagecache.LayerCompressions, ", ")+" ($DEVCACHE_LAYER_COMPRESSION; estargz starts lazily with --snapshotter devcache, zstd is smaller but always pulled in full)")
	o.platform.register(f)
	f.BoolVar(&o.cacheDisabled, "cache-disabled", os.Getenv("DEVCACHE_CACHE_DISABLED") == "true", "the runner's switch: no cache lookups, no pushes ($DEVCACHE_CACHE_DISABLED=true)")
}

// proxyOptions say how to reach devcache-proxy and get its credentials.
type proxyOptions struct {
	proxy       string
	proxyAdmin  string
	adminSecret string
	proxyState  string
	adminCA     string
	adminCert   string
	adminKey    string
}

func (o *proxyOptions) register(f *pflag.FlagSet) {
	f.StringVar(&o.proxy, "proxy", os.Getenv("DEVCACHE_PROXY"), "devcache-proxy registry host:port ($DEVCACHE_PROXY)")
	f.StringVar(&o.proxyAdmin, "proxy-admin", os.Getenv("DEVCACHE_PROXY_ADMIN"), "devcache-proxy admin endpoint: unix:<path>, host:port or URL ($DEVCACHE_PROXY_ADMIN)")
	f.StringVar(&o.proxyState, "proxy-state-dir", os.Getenv("DEVCACHE_PROXY_STATE_DIR"), "on the proxy's host: its state directory, for the admin socket and secret ($DEVCACHE_PROXY_STATE_DIR)")
	f.StringVar(&o.adminSecret, "proxy-admin-secret-file", os.Getenv("DEVCACHE_PROXY_ADMIN_SECRET_FILE"), "file holding the admin endpoint's secret ($DEVCACHE_PROXY_ADMIN_SECRET_FILE; or $DEVCACHE_PROXY_ADMIN_SECRET)")
	f.StringVar(&o.adminCA, "proxy-admin-ca", os.Getenv("DEVCACHE_PROXY_ADMIN_CA"), "with an https:// --proxy-admin: CA bundle that verifies it ($DEVCACHE_PROXY_ADMIN_CA; default: the system roots)")
	f.StringVar(&o.adminCert, "proxy-admin-cert", os.Getenv("DEVCACHE_PROXY_ADMIN_CERT"), "with an https:// --proxy-admin: this runner's client certificate ($DEVCACHE_PROXY_ADMIN_CERT)")
	f.StringVar(&o.adminKey, "proxy-admin-key", os.Getenv("DEVCACHE_PROXY_ADMIN_KEY"), "the client certificate's private key ($DEVCACHE_PROXY_ADMIN_KEY)")
}

// credentials returns the proxy's credential issuer.
func (o *proxyOptions) credentials() (*proxyCredentials, error) {
	if o.proxyAdmin == "" && o.proxyState != "" {
		o.proxyAdmin = "unix:" + filepath.Join(o.proxyState, "admin.sock")
	}
	secret, err := o.secret()
	if err != nil {
		return nil, err
	}
	opts, err := credentials.TLSOptions(o.proxyAdmin, o.adminCA, o.adminCert, o.adminKey)
	if err != nil {
		return nil, fmt.Errorf("--proxy-admin: %w", err)
	}
	return &proxyCredentials{client: credentials.NewClient(o.proxyAdmin, secret, opts...), host: o.proxy}, nil
}

func (o *proxyOptions) secret() (string, error) {
	if o.adminSecret == "" && o.proxyState != "" {
		kf, err := keys.Load(filepath.Join(o.proxyState, "keys.json"))
		if err != nil {
			return "", fmt.Errorf("--proxy-state-dir: %w", err)
		}
		return kf.AdminSecret, nil
	}
	if o.adminSecret != "" {
		b, err := os.ReadFile(o.adminSecret)
		if err != nil {
			return "", fmt.Errorf("--proxy-admin-secret-file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return os.Getenv("DEVCACHE_PROXY_ADMIN_SECRET"), nil
}

// cache wires a Cache from the options; cleanup closes its clients.
func (o *runnerOptions) cache(ctx context.Context, progressOut io.Writer) (*imagecache.Cache, func(), error) {
	if err := imagecache.CheckCompression(o.compression); err != nil {
		return nil, nil, fmt.Errorf("--layer-compression: %w", err)
	}
	var closers []func()
	cleanup := func() {
		for _, c := range closers {
			c()
		}
	}
	bk, err := bkclient.New(ctx, o.buildkitHost, tracing.BuildKitOpts()...)
	if err != nil {
		return nil, nil, fmt.Errorf("buildkitd at %s: %w", o.buildkitHost, err)
	}
	closers = append(closers, func() { _ = bk.Close() })

	creds, err := o.credentials()
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	ps, err := o.platform.platforms()
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	// One list for the key and the build, so the two never disagree.
	c := &imagecache.Cache{
		Keyer:       imagecache.HostKeyer{Platforms: ps},
		Credentials: creds,
		Registry:    &imagecache.OCIRegistry{Platform: lookupPlatform(ps)},
		Builder:     &imagecache.BuildKit{Client: bk, FrontendImage: o.frontendImage, Progress: o.progress, ProgressOut: progressOut, Platforms: ps, Compression: o.compression},
		ProxyHost:   o.proxy,
		Disabled:    o.cacheDisabled,
		NoRenewal:   noRenewal(),
		// Runners that miss one key build it once (a lease in the proxy).
		OneBuild: &imagecache.OneBuild{},
	}
	if o.containerd != "" {
		cc, err := containerd.New(o.containerd, containerd.WithTimeout(10*time.Second))
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("containerd at %s: %w", o.containerd, err)
		}
		closers = append(closers, func() { _ = cc.Close() })
		rt := &imagecache.Containerd{Client: cc, Namespace: o.namespace, Snapshotter: o.snapshotter, Remote: o.snapshotter == remoteSnapshotter}
		if o.snapshotterAuth != "" {
			rt.RemoteAuth = imagecache.DockerConfigAuth(o.snapshotterAuth)
		}
		c.Runtime = rt
	}
	return c, cleanup, nil
}

// noRenewal is the test hook that switches credential renewal off
// (DEVCACHE_TEST_NO_CREDENTIAL_RENEWAL=1): integration tests prove with it
// that a long build fails without renewal, and bench-imagecache compares.
func noRenewal() bool { return os.Getenv("DEVCACHE_TEST_NO_CREDENTIAL_RENEWAL") == "1" }

// proxyCredentials gets credentials from devcache-proxy's admin endpoint,
// for the image cache unless forPrebuild.
type proxyCredentials struct {
	client *credentials.Client
	host   string
	// forPrebuild asks for prebuild credentials, which the proxy's cache
	// switch does not refuse.
	forPrebuild bool
}

func (p *proxyCredentials) Issue(ctx context.Context, project string, purpose contract.Purpose) (*imagecache.HostCredentials, error) {
	req := credentials.Request{Project: project, Purpose: purpose, For: credentials.ForImageCache}
	if p.forPrebuild {
		req.For = credentials.ForPrebuild
	}
	cred, err := p.client.Issue(ctx, req)
	if err != nil {
		return nil, err
	}
	return &imagecache.HostCredentials{Host: p.host, Username: cred.Username, Password: cred.Password, ExpiresAt: cred.ExpiresAt}, nil
}
