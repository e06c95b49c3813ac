// Package service assembles a devcache-proxy from its configuration: keys,
// token authority, backend, push records, the HTTP server, the admin
// (credentials) endpoint and the debug listener, and runs them until the
// context ends, then drains.
package service

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/internal/metrics"
	"github.com/devcache/devcache/internal/tlsfiles"
	"github.com/devcache/devcache/internal/tracing"
	"github.com/devcache/devcache/registryproxy"
	"github.com/devcache/devcache/registryproxy/backend"
	"github.com/devcache/devcache/registryproxy/config"
	"github.com/devcache/devcache/registryproxy/credentials"
	"github.com/devcache/devcache/registryproxy/gc"
	"github.com/devcache/devcache/registryproxy/keys"
	"github.com/devcache/devcache/registryproxy/lease"
	"github.com/devcache/devcache/registryproxy/objstore"
	"github.com/devcache/devcache/registryproxy/policy"
	"github.com/devcache/devcache/registryproxy/pushrecord"
	"github.com/devcache/devcache/registryproxy/server"
	"github.com/devcache/devcache/registryproxy/token"
)

// Service is an assembled proxy.
type Service struct {
	Config    *config.Config
	Layout    *policy.Layout
	Keys      *keys.File
	Authority *token.Authority
	Backend   registryproxy.Backend
	Records   *pushrecord.Store
	Server    *server.Server
	Metrics   *prometheus.Registry
	m         *server.Metrics
	// measured is Backend with its round trips observed in m; what the
	// server, the push records and the sweeper use.
	measured registryproxy.Backend
}

// LoadAuthority reads (or creates) the key file and returns its authority.
func LoadAuthority(cfg *config.Config) (*keys.File, *token.Authority, error) {
	kf, err := keys.LoadOrCreate(cfg.Auth.KeysFile)
	if err != nil {
		return nil, nil, fmt.Errorf("keys: %w", err)
	}
	ks, err := kf.KeySet()
	if err != nil {
		return nil, nil, err
	}
	a := token.NewAuthority(ks, cfg.Auth.Issuer, cfg.Auth.Service)
	if cfg.Auth.ClockSkew != nil {
		a.SetClockSkew(cfg.Auth.ClockSkew.Duration)
	}
	return kf, a, nil
}

// Issuer returns a local credential issuer for the configuration.
func Issuer(cfg *config.Config, a *token.Authority) *credentials.Local {
	return &credentials.Local{Authority: a, DefaultTTL: cfg.Auth.CredentialTTL.Duration, MaxTTL: cfg.Auth.MaxCredentialTTL.Duration, CacheDisabled: !cfg.CacheEnabled()}
}

// NewBackend opens the configured backend. private starts an embedded
// registry on its own socket (for gc next to a running server).
func NewBackend(ctx context.Context, cfg *config.Config, kf *keys.File, private bool) (registryproxy.Backend, error) {
	b := cfg.Backend
	if b.Type == "embedded" {
		o := backend.EmbeddedOptions{RootDir: filepath.Join(cfg.Server.StateDir, "registry"), Secret: kf.UploadSecret, Listen: b.EmbeddedListen}
		if private {
			o.Listen = "unix:" + filepath.Join(cfg.Server.StateDir, fmt.Sprintf("backend-%d.sock", os.Getpid()))
		}
		if s := b.Storage.S3; s != nil {
			o.S3 = &backend.S3Storage{Endpoint: s.Endpoint, Region: s.Region, Bucket: s.Bucket, RootDirectory: s.RootDirectory,
				AccessKey: s.AccessKey, SecretKey: s.SecretKey, ForcePathStyle: s.ForcePathStyle}
		}
		e, err := backend.NewEmbedded(ctx, o)
		if err != nil {
			return nil, err
		}
		return e.Backend(), nil
	}
	o := backend.RemoteOptions{URL: b.URL, Username: b.Username, Password: b.Password}
	if b.PasswordEnv != "" {
		o.Password = os.Getenv(b.PasswordEnv)
	}
	switch b.Credentials {
	case "gar":
		src, err := backend.NewGARCredentials(ctx)
		if err != nil {
			return nil, err
		}
		o.Credentials = src
	case "ecr":
		src, err := backend.NewECRCredentials(ctx, b.Region, b.CredentialsEndpoint)
		if err != nil {
			return nil, err
		}
		o.Credentials = src
	}
	if b.CAFile != "" {
		pool, err := tlsfiles.SystemPoolWith(b.CAFile)
		if err != nil {
			return nil, fmt.Errorf("backend.ca_file: %w", err)
		}
		o.RootCAs = pool
	}
	if b.BearerTokenFile != "" {
		t, err := os.ReadFile(b.BearerTokenFile)
		if err != nil {
			return nil, err
		}
		o.BearerToken = strings.TrimSpace(string(t))
	}
	return backend.NewRemote(o)
}

// SharedStore is where the objects replicas must agree on live: build
// leases (name "leases") and write-once tag claims ("tags"). Over S3 they
// are objects in the registry's bucket (conditional writes decide), over
// the filesystem files next to the registry's storage (replicas sharing it
// share them). In front of a remote registry it is the state directory:
// leases are shared only by replicas sharing that directory, and tags are
// left to the registry's own immutability (ok is false for "tags").
func SharedStore(ctx context.Context, cfg *config.Config, name string) (st objstore.Store, ok bool, err error) {
	b := cfg.Backend
	if b.Type != "embedded" {
		return &objstore.FS{Dir: filepath.Join(cfg.Server.StateDir, name)}, name != "tags", nil
	}
	if s := b.Storage.S3; s != nil {
		st, err := objstore.NewS3(ctx, objstore.S3Options{Endpoint: s.Endpoint, Region: s.Region, Bucket: s.Bucket,
			Prefix: path.Join(s.RootDirectory, "devcache", name), AccessKey: s.AccessKey, SecretKey: s.SecretKey, ForcePathStyle: s.ForcePathStyle})
		return st, err == nil, err
	}
	return &objstore.FS{Dir: filepath.Join(cfg.Server.StateDir, "registry", "devcache-"+name)}, true, nil
}

// New assembles a proxy from cfg.
func New(ctx context.Context, cfg *config.Config) (*Service, error) {
	if err := os.MkdirAll(cfg.Server.StateDir, 0o700); err != nil {
		return nil, err
	}
	kf, auth, err := LoadAuthority(cfg)
	if err != nil {
		return nil, err
	}
	layout, err := cfg.Layout()
	if err != nil {
		return nil, err
	}
	be, err := NewBackend(ctx, cfg, kf, false)
	if err != nil {
		return nil, err
	}
	leases, _, err := SharedStore(ctx, cfg, "leases")
	if err != nil {
		_ = be.Close()
		return nil, err
	}
	var claims objstore.Store
	if st, ok, err := SharedStore(ctx, cfg, "tags"); err != nil {
		_ = be.Close()
		return nil, err
	} else if ok {
		claims = st
	}
	reg := metrics.NewRegistry()
	m := server.NewMetrics(reg)
	measured := backend.Instrument(be, m.ObserveBackend)
	records := pushrecord.NewStore(measured, layout.Meta)
	srv, err := server.New(server.Options{
		Authority:     auth,
		Backend:       measured,
		Namer:         layout.Namer,
		Records:       records,
		UploadSecret:  kf.UploadSecret,
		Realm:         cfg.Server.Realm,
		TokenTTL:      cfg.Auth.TokenTTL.Duration,
		Expiry:        cfg.Expiry(),
		CacheDisabled: !cfg.CacheEnabled(),
		Logger:        log.G(ctx),
		Metrics:       m,
		Leases:        &lease.Manager{Store: leases},
		TagClaims:     claims,
	})
	if err != nil {
		_ = be.Close()
		return nil, err
	}
	return &Service{Config: cfg, Layout: layout, Keys: kf, Authority: auth, Backend: be, Records: records, Server: srv, Metrics: reg, m: m, measured: measured}, nil
}

// Close releases the backend.
func (s *Service) Close() error { return s.Backend.Close() }

// Listen opens a listener for "unix:<path>" or host:port.
func Listen(addr string) (net.Listener, error) {
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		p = strings.TrimPrefix(p, "//")
		_ = os.Remove(p)
		ln, err := net.Listen("unix", p)
		if err != nil {
			return nil, err
		}
		return ln, os.Chmod(p, 0o600)
	}
	return net.Listen("tcp", addr)
}

// Run serves the registry, admin and debug listeners until ctx is done,
// then drains in-flight requests for up to the drain timeout.
func (s *Service) Run(ctx context.Context) error {
	cfg := s.Config
	lg := log.G(ctx)
	type listener struct {
		name string
		srv  *http.Server
		ln   net.Listener
		tls  *tls.Config
	}
	var ls []listener
	base := context.WithoutCancel(ctx)
	add := func(name, addr string, h http.Handler, tc *tls.Config) error {
		ln, err := Listen(addr)
		if err != nil {
			return fmt.Errorf("%s listener %s: %w", name, addr, err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, TLSConfig: tc,
			BaseContext: func(net.Listener) context.Context { return base }}
		ls = append(ls, listener{name, srv, ln, tc})
		lg.Info("listening", "listener", name, "addr", ln.Addr().String())
		return nil
	}
	closeAll := func() {
		for _, l := range ls {
			_ = l.ln.Close()
		}
	}
	var registryTLS *tls.Config
	if cfg.Server.TLSCert != "" {
		kp, err := tlsfiles.KeyPair(cfg.Server.TLSCert, cfg.Server.TLSKey, time.Now())
		if err != nil {
			return fmt.Errorf("server.tls_cert: %w", err)
		}
		registryTLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{kp}}
	}
	adminAuthn, adminTLS, err := adminAuth(cfg, s.Keys.AdminSecret)
	if err != nil {
		return err
	}
	if err := add("registry", cfg.Server.Addr, tracing.Handler(s.Server, "registry"), registryTLS); err != nil {
		return err
	}
	if err := add("admin", cfg.Server.AdminAddr, tracing.Handler(credentials.Handler(countIssued(Issuer(cfg, s.Authority), s.m), adminAuthn), "admin"), adminTLS); err != nil {
		closeAll()
		return err
	}
	if cfg.Server.DebugAddr != "" {
		if err := add("debug", cfg.Server.DebugAddr, s.DebugHandler(), nil); err != nil {
			closeAll()
			return err
		}
	}
	if every := cfg.Cache.GCInterval.Duration; every > 0 {
		go s.sweepEvery(ctx, every)
	}
	errc := make(chan error, len(ls))
	for _, l := range ls {
		go func() {
			var err error
			if l.tls != nil {
				err = l.srv.ServeTLS(l.ln, "", "")
			} else {
				err = l.srv.Serve(l.ln)
			}
			if !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s listener: %w", l.name, err)
			}
		}()
	}
	var runErr error
	select {
	case <-ctx.Done():
		lg.Info("draining", "timeout", cfg.Server.DrainTimeout.Duration)
	case runErr = <-errc:
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Server.DrainTimeout.Duration)
	defer cancel()
	for _, l := range ls {
		if err := l.srv.Shutdown(dctx); err != nil && runErr == nil {
			runErr = fmt.Errorf("draining %s: %w", l.name, err)
		}
	}
	return runErr
}

// sweepEvery runs the expiry sweeper until ctx ends. Replicas may all run
// it: every step of a sweep is idempotent.
func (s *Service) sweepEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rep, err := gc.Sweep(ctx, s.Records, s.measured, s.Layout.Namer, s.Config.Expiry(), time.Now())
			s.observeSweep(rep, err)
			if err != nil {
				log.G(ctx).Warn("expiry sweep failed", "error", err)
				continue
			}
			log.G(ctx).Info("expiry sweep", "records", rep.Records, "expired", rep.Expired, "deleted", rep.Deleted)
		}
	}
}
