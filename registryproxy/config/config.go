// Package config loads devcache-proxy's TOML configuration: strict (unknown
// keys are errors), versioned (version = 1), with defaults that make
// `devcache-proxy serve` work with no file at all.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/devcache/devcache/internal/tomlconfig"

	"github.com/devcache/devcache/registryproxy/policy"
	"github.com/devcache/devcache/registryproxy/token"
)

// Version is the only configuration version this binary reads.
const Version = 1

// Config is the whole configuration file.
type Config struct {
	Version int     `toml:"version"`
	Server  Server  `toml:"server"`
	Auth    Auth    `toml:"auth"`
	Cache   Cache   `toml:"cache"`
	Backend Backend `toml:"backend"`
}

// Server configures the listeners.
type Server struct {
	// Addr is the registry listener (default 127.0.0.1:5000).
	Addr string `toml:"addr"`
	// DebugAddr serves /metrics, /debug/health, /debug/ready and pprof ("" disables it).
	DebugAddr string `toml:"debug_addr"`
	// AdminAddr serves the credentials endpoint: "unix:<path>" or
	// host:port (default unix:<state_dir>/admin.sock). An address off
	// loopback requires AdminTLS.
	AdminAddr string `toml:"admin_addr"`
	// AdminTLS serves the admin endpoint over TLS, with client certificates.
	AdminTLS AdminTLS `toml:"admin_tls"`
	// StateDir holds keys and the embedded registry's storage.
	StateDir string `toml:"state_dir"`
	// Realm overrides the token endpoint URL put in challenges.
	Realm string `toml:"realm"`
	// TLSCert and TLSKey enable TLS on the registry listener.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	// DrainTimeout bounds the graceful shutdown (default 30s).
	DrainTimeout Duration `toml:"drain_timeout"`
}

// Admin endpoint client authentication modes.
const (
	// ClientAuthCertificate: a client certificate signed by client_ca.
	ClientAuthCertificate = "certificate"
	// ClientAuthSecret: the admin secret (a bearer token), over TLS.
	ClientAuthSecret = "secret"
	// ClientAuthEither: a client certificate, or else the admin secret.
	ClientAuthEither = "either"
)

// AdminTLS is [server.admin_tls].
type AdminTLS struct {
	// Cert and Key are the admin listener's certificate and key.
	Cert string `toml:"cert"`
	Key  string `toml:"key"`
	// ClientCA verifies runners' client certificates.
	ClientCA string `toml:"client_ca"`
	// ClientAuth is certificate, secret or either (default: certificate
	// when client_ca is set, secret otherwise).
	ClientAuth string `toml:"client_auth"`
}

// Enabled reports whether the admin endpoint serves TLS.
func (a AdminTLS) Enabled() bool { return a.Cert != "" || a.Key != "" }

// Auth configures tokens and credentials.
type Auth struct {
	// Service is the token service name / JWT audience (default devcache-proxy).
	Service string `toml:"service"`
	// Issuer is the JWT issuer (default devcache-proxy).
	Issuer string `toml:"issuer"`
	// KeysFile is the shared key file (default <state_dir>/keys.json, created if missing).
	KeysFile string `toml:"keys_file"`
	// CredentialTTL is a runner credential's lifetime (default 15m, at
	// least 10s; runners renew theirs before it ends).
	CredentialTTL Duration `toml:"credential_ttl"`
	// MaxCredentialTTL caps what the admin endpoint may be asked for (default 1h).
	MaxCredentialTTL Duration `toml:"max_credential_ttl"`
	// TokenTTL is an access token's lifetime (default 5m).
	TokenTTL Duration `toml:"token_ttl"`
	// ClockSkew is how long past its expiry (and before its start) a
	// credential or token is still accepted (default 60s; "0s" for none).
	ClockSkew *Duration `toml:"clock_skew"`
}

// MaxClockSkew bounds [auth] clock_skew: more would keep expired
// credentials alive longer than their purpose.
const MaxClockSkew = 5 * time.Minute

// Cache configures the image cache policy.
type Cache struct {
	// Enabled is the runner's cache switch (default true).
	Enabled *bool `toml:"enabled"`
	// Expiry is how long an image is served after its push (default 720h).
	Expiry Duration `toml:"expiry"`
	// PrebuildExpiry is the same for prebuild repositories (default 168h:
	// prebuilds are deleted 7 days after creation).
	PrebuildExpiry Duration `toml:"prebuild_expiry"`
	// GCInterval runs the expiry sweeper inside serve this often (default
	// 1h; "0s" disables it, leaving `devcache-proxy gc` to a scheduler).
	GCInterval *Duration `toml:"gc_interval"`
}

// Backend configures the backing registry.
type Backend struct {
	// Type is "embedded" (default) or "registry".
	Type string `toml:"type"`
	// URL of a "registry" backend.
	URL         string `toml:"url"`
	Username    string `toml:"username"`
	Password    string `toml:"password"`
	PasswordEnv string `toml:"password_env"`
	// BearerTokenFile holds a static bearer token for the backend.
	BearerTokenFile string `toml:"bearer_token_file"`
	// CAFile is a PEM bundle of CA certificates trusted for an https
	// backend besides the system roots (which honour SSL_CERT_FILE and
	// SSL_CERT_DIR): a registry behind a private CA.
	CAFile string `toml:"ca_file"`
	// Credentials selects a refreshing credential source instead of
	// username/password: "ecr" (Amazon ECR via the AWS SDK's default
	// credential chain) or "gar" (Artifact Registry via Application Default
	// Credentials). Empty means the static username/password.
	Credentials string `toml:"credentials"`
	// Region is the AWS region for "ecr" (default: from the environment).
	Region string `toml:"region"`
	// CredentialsEndpoint overrides the ECR API endpoint (VPC endpoints).
	CredentialsEndpoint string `toml:"credentials_endpoint"`
	// Repository is the backend name template (default projects/{project}/{repository}).
	Repository string `toml:"repository"`
	// Runner fills {runner} in Repository.
	Runner string `toml:"runner"`
	// MetaRepository holds push records (default
	// devcache/{runner}/push-records: each runner its own). It must lie
	// outside every name Repository renders.
	MetaRepository string `toml:"meta_repository"`
	// EmbeddedListen is where the embedded registry listens: "unix:<path>"
	// (default unix:<state_dir>/backend.sock) or a loopback host:port.
	EmbeddedListen string `toml:"embedded_listen"`
	// Storage is where the embedded registry keeps its data (default: the
	// filesystem under <state_dir>/registry).
	Storage Storage `toml:"storage"`
}

// Duration is a time.Duration written as a Go duration string ("15m").
type Duration = tomlconfig.Duration

// Default returns the zero-config configuration.
func Default() *Config {
	t := true
	return &Config{
		Version: Version,
		Server:  Server{Addr: "127.0.0.1:5000", StateDir: defaultStateDir(), DrainTimeout: Duration{Duration: 30 * time.Second}},
		Auth: Auth{Service: "devcache-proxy", Issuer: "devcache-proxy",
			CredentialTTL: Duration{Duration: 15 * time.Minute}, MaxCredentialTTL: Duration{Duration: time.Hour}, TokenTTL: Duration{Duration: 5 * time.Minute},
			ClockSkew: &Duration{Duration: token.DefaultLeeway}},
		Cache:   Cache{Enabled: &t, Expiry: Duration{Duration: 30 * 24 * time.Hour}, PrebuildExpiry: Duration{Duration: 7 * 24 * time.Hour}, GCInterval: &Duration{Duration: time.Hour}},
		Backend: Backend{Type: "embedded", Repository: "projects/{project}/{repository}", MetaRepository: policy.DefaultMetaTemplate},
	}
}

func defaultStateDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/devcache-proxy"
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "devcache-proxy")
	}
	return ".devcache-proxy"
}

// Load reads path over the defaults; an empty path returns the defaults.
func Load(path string) (*Config, error) {
	c := Default()
	if path == "" {
		return c, c.Finish()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := Parse(b, c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, c.Finish()
}

// Parse decodes b strictly into c.
func Parse(b []byte, c *Config) error { return tomlconfig.Decode(b, Version, c) }

// Finish fills derived defaults (admin socket, key file) and validates.
func (c *Config) Finish() error {
	if c.Server.StateDir == "" {
		return errors.New("server.state_dir is required")
	}
	if c.Server.AdminAddr == "" {
		c.Server.AdminAddr = "unix:" + filepath.Join(c.Server.StateDir, "admin.sock")
	}
	if c.Auth.KeysFile == "" {
		c.Auth.KeysFile = filepath.Join(c.Server.StateDir, "keys.json")
	}
	if (c.Server.TLSCert == "") != (c.Server.TLSKey == "") {
		return errors.New("server.tls_cert and server.tls_key go together")
	}
	if err := c.finishAdmin(); err != nil {
		return err
	}
	if c.Auth.TokenTTL.Duration < time.Minute {
		return errors.New("auth.token_ttl must be at least 1m (clients refresh at 60s)")
	}
	if c.Auth.CredentialTTL.Duration < token.MinCredentialTTL || c.Auth.CredentialTTL.Duration > c.Auth.MaxCredentialTTL.Duration {
		return fmt.Errorf("auth.credential_ttl = %q must be between %s and auth.max_credential_ttl (%s)", c.Auth.CredentialTTL, token.MinCredentialTTL, c.Auth.MaxCredentialTTL)
	}
	if c.Auth.ClockSkew == nil {
		c.Auth.ClockSkew = &Duration{Duration: token.DefaultLeeway}
	}
	if c.Auth.ClockSkew.Duration < 0 || c.Auth.ClockSkew.Duration > MaxClockSkew {
		return fmt.Errorf("auth.clock_skew = %q must be between 0s and %s", c.Auth.ClockSkew, MaxClockSkew)
	}
	if c.Cache.PrebuildExpiry.Duration <= 0 {
		c.Cache.PrebuildExpiry.Duration = 7 * 24 * time.Hour
	}
	if c.Cache.Expiry.Duration <= 0 {
		return errors.New("cache.expiry must be positive")
	}
	if c.Cache.GCInterval == nil {
		c.Cache.GCInterval = &Duration{Duration: time.Hour}
	}
	if c.Cache.GCInterval.Duration < 0 {
		return errors.New("cache.gc_interval must not be negative")
	}
	switch c.Backend.Type {
	case "embedded":
	case "registry":
		if c.Backend.URL == "" {
			return errors.New(`backend.url is required for backend.type = "registry"`)
		}
		switch c.Backend.Credentials {
		case "", "ecr", "gar":
		default:
			return fmt.Errorf("backend.credentials %q: want \"ecr\", \"gar\" or empty", c.Backend.Credentials)
		}
		if c.Backend.CAFile != "" && !strings.HasPrefix(c.Backend.URL, "https://") {
			return fmt.Errorf("backend.ca_file %s is set but backend.url %q is not https://", c.Backend.CAFile, c.Backend.URL)
		}
	default:
		return fmt.Errorf("backend.type %q: want embedded or registry", c.Backend.Type)
	}
	if c.Backend.CAFile != "" && c.Backend.Type != "registry" {
		return fmt.Errorf("backend.ca_file %s is only for backend.type = \"registry\"", c.Backend.CAFile)
	}
	if err := c.finishStorage(); err != nil {
		return err
	}
	if _, err := c.Layout(); err != nil {
		return err
	}
	// The embedded registry has no authentication: it never listens
	// beyond this host (the admin endpoint's rule is in finishAdmin).
	if e := c.Backend.EmbeddedListen; e != "" && !strings.HasPrefix(e, "unix:") && !loopback(e) {
		return fmt.Errorf("backend.embedded_listen %q is not a unix socket or loopback address: the embedded registry serves every project's images without authentication", e)
	}
	return nil
}

// Layout is the validated backend layout: client repositories and the
// push-record repository of this runner.
func (c *Config) Layout() (*policy.Layout, error) {
	return policy.NewLayout(c.Backend.Repository, c.Backend.MetaRepository, c.Backend.Runner)
}

// Expiry is the expiry policy of the configuration.
func (c *Config) Expiry() policy.Expiry {
	return policy.Expiry{Cache: c.Cache.Expiry.Duration, Prebuild: c.Cache.PrebuildExpiry.Duration}.WithDefaults()
}

// CacheEnabled reports the cache switch.
func (c *Config) CacheEnabled() bool { return c.Cache.Enabled == nil || *c.Cache.Enabled }
