package credentials

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/registryproxy/token"
)

// Request asks for a credential. On the wire it is
// {"project":"p1","purpose":"create","ttl":"10m"} (ttl optional).
type Request struct {
	Project string
	Purpose token.Purpose
	// TTL is optional; the proxy's default applies when zero.
	TTL time.Duration
}

type wireRequest struct {
	Project string        `json:"project"`
	Purpose token.Purpose `json:"purpose"`
	TTL     string        `json:"ttl,omitempty"`
}

// MarshalJSON writes the TTL as a Go duration string.
func (r Request) MarshalJSON() ([]byte, error) {
	w := wireRequest{Project: r.Project, Purpose: r.Purpose}
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
	*r = Request{Project: w.Project, Purpose: w.Purpose}
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
}

// Issue signs a credential.
func (l *Local) Issue(_ context.Context, req Request) (Credential, error) {
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

// Handler serves POST /v1/credentials with JSON Request bodies, requiring
// "Authorization: Bearer <admin secret>".
func Handler(issuer Issuer, secret string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Path, func(w http.ResponseWriter, r *http.Request) {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		var req Request
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
		cred, err := issuer.Issue(r.Context(), req)
		if err != nil {
			status := http.StatusInternalServerError
			if errdefs.IsInvalidArgument(err) {
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

func writeErr(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// Client calls an admin endpoint.
type Client struct {
	base   string
	secret string
	hc     *http.Client
}

// NewClient returns a client for addr ("unix:<path>", "host:port" or an
// http(s) URL) authenticating with the admin secret.
func NewClient(addr, secret string) *Client {
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
	return c
}

// Issue asks the admin endpoint for a credential.
func (c *Client) Issue(ctx context.Context, req Request) (Credential, error) {
	b, _ := json.Marshal(req)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+Path, bytes.NewReader(b)) //nolint:gosec // the admin address is operator configuration
	if err != nil {
		return Credential{}, err
	}
	hr.Header.Set("Authorization", "Bearer "+c.secret)
	hr.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(hr) //nolint:gosec // the admin address is operator configuration
	if err != nil {
		return Credential{}, fmt.Errorf("admin endpoint: %w: %w", err, errdefs.ErrUnavailable)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
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
