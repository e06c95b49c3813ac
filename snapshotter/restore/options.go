package restore

import (
	"slices"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/devcache/devcache/snapshotter/metrics"
)

// Opt configures the restorers.
type Opt func(*options)

type options struct {
	insecure []string
	keychain authn.Keychain
	metrics  *metrics.Metrics
}

// WithInsecureRegistries lets the restorers reach these registries (host or
// host:port) over plain HTTP.
func WithInsecureRegistries(hosts ...string) Opt {
	return func(o *options) { o.insecure = append(o.insecure, hosts...) }
}

// WithKeychain sets where registry credentials come from (default: the
// docker config of $DOCKER_CONFIG or ~/.docker).
func WithKeychain(k authn.Keychain) Opt {
	return func(o *options) { o.keychain = k }
}

// WithMetrics counts the prefetches of lazily mounted layers in m.
func WithMetrics(m *metrics.Metrics) Opt {
	return func(o *options) { o.metrics = m }
}

func newOptions(opts []Opt) options {
	o := options{keychain: authn.DefaultKeychain}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

func (o options) isInsecure(host string) bool { return slices.Contains(o.insecure, host) }

func (o options) remote() []remote.Option {
	return []remote.Option{remote.WithAuthFromKeychain(o.keychain)}
}
