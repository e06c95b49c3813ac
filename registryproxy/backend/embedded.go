package backend

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem" // the embedded storage drivers
	_ "github.com/distribution/distribution/v3/registry/storage/driver/s3-aws"
	"github.com/opencontainers/go-digest"
)

// Embedded is a distribution v3 registry with filesystem or S3 storage
// running inside the proxy process, served on a listener only the proxy
// uses (a unix socket in the state directory by default).
type Embedded struct {
	root      string
	s3        *S3Storage
	srv       *http.Server
	ln        net.Listener
	transport *http.Transport
	// Addr is the listener address (socket path or host:port).
	Addr string
}

// EmbeddedOptions configure the embedded registry.
type EmbeddedOptions struct {
	// RootDir holds the registry's storage.
	RootDir string
	// Secret keys distribution's upload state HMAC; share it across replicas.
	Secret []byte
	// Listen is "unix:<path>" or a loopback "host:port"; default
	// unix:<RootDir>/../backend.sock.
	Listen string
	// S3, when set, stores into an S3 bucket instead of RootDir (which
	// then only places the default socket).
	S3 *S3Storage
}

// NewEmbedded starts the embedded registry.
func NewEmbedded(ctx context.Context, o EmbeddedOptions) (_ *Embedded, err error) {
	if o.RootDir == "" {
		return nil, errors.New("embedded backend: no storage directory")
	}
	if err := os.MkdirAll(o.RootDir, 0o700); err != nil {
		return nil, err
	}
	if o.Listen == "" {
		o.Listen = "unix:" + filepath.Join(filepath.Dir(filepath.Clean(o.RootDir)), "backend.sock")
	}
	cfgYAML := fmt.Sprintf(`version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: %q}
  delete: {enabled: true}
  maintenance:
    uploadpurging: {enabled: true, age: 168h, interval: 24h, dryrun: false}
http:
  secret: %q
validation:
  disabled: false
`, o.RootDir, base64.StdEncoding.EncodeToString(o.Secret))
	cfg, err := configuration.Parse(strings.NewReader(cfgYAML))
	if err != nil {
		return nil, fmt.Errorf("embedded backend config: %w", err)
	}
	if o.S3 != nil {
		o.S3.apply(cfg.Storage)
	}
	app, err := newApp(ctx, cfg)
	if err != nil {
		return nil, err
	}
	e := &Embedded{root: o.RootDir, s3: o.S3}
	var network, addr string
	if p, ok := strings.CutPrefix(o.Listen, "unix:"); ok {
		network, addr = "unix", p
		_ = os.Remove(p)
	} else {
		network, addr = "tcp", o.Listen
	}
	if e.ln, err = net.Listen(network, addr); err != nil {
		return nil, fmt.Errorf("embedded backend: %w", err)
	}
	if network == "unix" {
		_ = os.Chmod(addr, 0o600)
		e.Addr = addr
	} else {
		e.Addr = e.ln.Addr().String()
	}
	e.srv = &http.Server{Handler: app, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = e.srv.Serve(e.ln) }()
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, e.Addr)
	}
	e.transport = &http.Transport{
		DialContext:         dial,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		WriteBufferSize:     256 << 10,
		ReadBufferSize:      256 << 10,
	}
	return e, nil
}

func newApp(ctx context.Context, cfg *configuration.Configuration) (app *handlers.App, err error) {
	defer func() {
		if r := recover(); r != nil { // distribution panics on bad storage configuration
			err = fmt.Errorf("embedded backend: %v", r)
		}
	}()
	return handlers.NewApp(ctx, cfg), nil
}

// RoundTrip sends req to the embedded registry.
func (e *Embedded) RoundTrip(req *http.Request) (*http.Response, error) {
	req.URL.Scheme = "http"
	req.URL.Host = "backend"
	req.Host = "backend"
	return e.transport.RoundTrip(req)
}

// BaseURL is the registry's URL for direct clients (benchmarks, tests):
// only meaningful for TCP listeners.
func (e *Embedded) BaseURL() string { return "http://" + e.Addr }

// OpenBlob opens a blob's data file in the filesystem storage layout
// (docker/registry/v2/blobs/<alg>/<hex[:2]>/<hex>/data).
func (e *Embedded) OpenBlob(_ context.Context, dgst digest.Digest) (*os.File, error) {
	if e.s3 != nil {
		return nil, fmt.Errorf("embedded backend stores in S3, not in files: %w", errdefs.ErrNotImplemented)
	}
	if err := dgst.Validate(); err != nil {
		return nil, err
	}
	hex := dgst.Encoded()
	return os.Open(filepath.Join(e.root, "docker", "registry", "v2", "blobs", dgst.Algorithm().String(), hex[:2], hex, "data"))
}

// Close stops the registry.
func (e *Embedded) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.transport.CloseIdleConnections()
	err := e.srv.Shutdown(ctx)
	if e.ln.Addr().Network() == "unix" {
		_ = os.Remove(e.Addr)
	}
	return err
}
