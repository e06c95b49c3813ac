package credentials

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/registryproxy/token"
)

// Request asks for a credential. On the wire it is
// {"project":"p1","purpose":"create","ttl":"10m","for":"image-cache"} (ttl
// and for optional).
type Request struct {
	Project string
	Purpose contract.Purpose
	// For is ForImageCache, ForPrebuild or "" (not said).
	For string
	// TTL is optional; the proxy's default applies when zero.
	TTL time.Duration
}

type wireRequest struct {
	Project string           `json:"project"`
	Purpose contract.Purpose `json:"purpose"`
	TTL     string           `json:"ttl,omitempty"`
	For     string           `json:"for,omitempty"`
}

// MarshalJSON writes the TTL as a Go duration string.
func (r Request) MarshalJSON() ([]byte, error) {
	w := wireRequest{Project: r.Project, Purpose: r.Purpose, For: r.For}
	if r.TTL != 0 {
		w.TTL = r.TTL.String()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a request strictly (unknown fields are errors).
func (r *Request) UnmarshalJSON(b []byte) error {
	var w wireRequest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	if err := validFor(w.For); err != nil {
		return err
	}
	*r = Request{Project: w.Project, Purpose: w.Purpose, For: w.For}
	if w.TTL != "" {
		d, err := time.ParseDuration(w.TTL)
		if err != nil {
			return fmt.Errorf("ttl: %w", err)
		}
		r.TTL = d
	}
	return nil
}

// Credential is what a runner logs in with (docker login user/password).
type Credential = token.Credential

// Issuer issues credentials.
type Issuer interface {
	Issue(ctx context.Context, req Request) (Credential, error)
}

// Local issues credentials with an authority (the proxy's own keys).
type Local struct {
	Authority  *token.Authority
	DefaultTTL time.Duration
	MaxTTL     time.Duration
	// CacheDisabled is the proxy's cache switch turned off: image-cache
	// credentials are refused with ErrCacheDisabled.
	CacheDisabled bool
}

// Issue signs a credential.
func (l *Local) Issue(_ context.Context, req Request) (Credential, error) {
	if err := validFor(req.For); err != nil {
		return Credential{}, err
	}
	if l.CacheDisabled && req.For == ForImageCache {
		return Credential{}, cacheDisabled()
	}
	ttl := req.TTL
	if ttl == 0 {
		ttl = l.DefaultTTL
	}
	if l.MaxTTL > 0 && ttl > l.MaxTTL {
		return Credential{}, fmt.Errorf("lifetime %s exceeds the maximum %s: %w", ttl, l.MaxTTL, errdefs.ErrInvalidArgument)
	}
	return l.Authority.IssueCredential(req.Project, req.Purpose, ttl)
}

// Path is the admin endpoint's path.
const Path = "/v1/credentials"

// Handler serves POST /v1/credentials with JSON Request bodies to callers
// that auth admits (SecretAuth for "Authorization: Bearer <admin secret>").
func Handler(issuer Issuer, auth Authenticator) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Path, func(w http.ResponseWriter, r *http.Request) {
		who, err := auth.Authenticate(r)
		if err != nil {
			log.G(r.Context()).Warn("admin endpoint: refused", "remote", r.RemoteAddr, "error", err)
			writeErr(w, http.StatusUnauthorized, err)
			return
		}
		var req Request
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
		cred, err := issuer.Issue(r.Context(), req)
		log.G(r.Context()).Info("admin endpoint: credential", "caller", who, "project", req.Project, "purpose", req.Purpose, "for", req.For, "ok", err == nil)
		if err != nil {
			status := http.StatusInternalServerError
			switch {
			case errors.Is(err, ErrCacheDisabled):
				writeErrCode(w, http.StatusForbidden, codeCacheDisabled, err)
				return
			case errdefs.IsInvalidArgument(err):
				status = http.StatusBadRequest
			}
			writeErr(w, status, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(cred)
	})
	return mux
}

func writeErr(w http.ResponseWriter, status int, err error) { writeErrCode(w, status, "", err) }

// writeErrCode writes {"error": message, "code": code} (code optional).
func writeErrCode(w http.ResponseWriter, status int, code string, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body := map[string]string{"error": err.Error()}
	if code != "" {
		body["code"] = code
	}
	_ = json.NewEncoder(w).Encode(body)
}

// Client calls an admin endpoint.
type Client struct {
	base   string
	secret string
	hc     *http.Client
	// certFile names the client certificate in errors.
	certFile string
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithTLS sets the TLS configuration of an https admin endpoint (its CA, the
// runner's client certificate); certFile names that certificate in errors.
func WithTLS(cfg *tls.Config, certFile string) ClientOption {
	return func(c *Client) {
		// HTTP/1.1 over dialTLS, whose connections report the endpoint's
		// refusal of the client certificate as the alert it sent.
		c.hc.Transport = &http.Transport{DialTLSContext: dialTLS(cfg), TLSClientConfig: cfg, Proxy: http.ProxyFromEnvironment}
		c.certFile = certFile
	}
}

// NewClient returns a client for addr ("unix:<path>", "host:port" or an
// http(s) URL) authenticating with the admin secret ("" for none: a client
// certificate given WithTLS authenticates instead).
func NewClient(addr, secret string, opts ...ClientOption) *Client {
	c := &Client{secret: secret, hc: &http.Client{Timeout: 30 * time.Second}}
	switch {
	case strings.HasPrefix(addr, "unix:"):
		p := strings.TrimPrefix(strings.TrimPrefix(addr, "unix:"), "//")
		c.base = "http://admin"
		c.hc.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", p)
		}}
	case strings.HasPrefix(addr, "http://"), strings.HasPrefix(addr, "https://"):
		c.base = strings.TrimSuffix(addr, "/")
	default:
		c.base = "http://" + addr
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Issue asks the admin endpoint for a credential.
func (c *Client) Issue(ctx context.Context, req Request) (Credential, error) {
	b, _ := json.Marshal(req)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+Path, bytes.NewReader(b)) //nolint:gosec // the admin address is operator configuration
	if err != nil {
		return Credential{}, err
	}
	if c.secret != "" {
		hr.Header.Set("Authorization", "Bearer "+c.secret)
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(hr) //nolint:gosec // the admin address is operator configuration
	if err != nil {
		return Credential{}, c.transportError(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
			Code  string `json:"code"`
		}
		_ = json.Unmarshal(body, &e)
		if resp.StatusCode == http.StatusForbidden && e.Code == codeCacheDisabled {
			return Credential{}, fmt.Errorf("admin endpoint %s refused an image-cache credential: %w: %w", c.base, ErrCacheDisabled, errdefs.ErrPermissionDenied)
		}
		var kind error = errdefs.ErrUnknown
		switch resp.StatusCode {
		case http.StatusBadRequest:
			kind = errdefs.ErrInvalidArgument
		case http.StatusUnauthorized:
			kind = errdefs.ErrUnauthenticated
		}
		return Credential{}, fmt.Errorf("admin endpoint: %s: %s: %w", resp.Status, e.Error, kind)
	}
	var cred Credential
	if err := json.Unmarshal(body, &cred); err != nil {
		return Credential{}, fmt.Errorf("admin endpoint: %w", err)
	}
	return cred, nil
}
