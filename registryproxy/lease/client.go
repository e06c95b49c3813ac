package lease

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Path is the endpoint path of a lease (the server's LeasePrefix).
func Path(repository, key string) string { return "/devcache/v1/leases/" + repository + "/" + key }

// Client talks to a proxy's lease endpoint with a runner credential. It
// gets a push token for the repository through the registry token
// protocol (the same challenge and /token as image pushes).
type Client struct {
	// Host is the proxy's host:port; loopback hosts are reached over HTTP.
	Host               string
	Username, Password string
	// Auth, when set, replaces Username and Password: it is asked again
	// whenever a token is fetched, so a renewing credential keeps a lease
	// alive past the first credential's life.
	Auth authn.Authenticator
	// Transport is the base transport (default http.DefaultTransport).
	Transport http.RoundTripper

	mu  sync.Mutex
	rts map[string]http.RoundTripper
}

func (c *Client) client(ctx context.Context, repository string) (*http.Client, string, error) {
	reg, err := name.NewRegistry(c.Host)
	if err != nil {
		return nil, "", fmt.Errorf("lease: proxy host %q: %w: %w", c.Host, err, errdefs.ErrInvalidArgument)
	}
	base := "https://" + c.Host
	if reg.Scheme() == "http" {
		base = "http://" + c.Host
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if rt := c.rts[repository]; rt != nil {
		return &http.Client{Transport: rt}, base, nil
	}
	tr := c.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	repo := reg.Repo(repository)
	var auth authn.Authenticator = &authn.Basic{Username: c.Username, Password: c.Password}
	if c.Auth != nil {
		auth = c.Auth
	}
	rt, err := transport.NewWithContext(ctx, reg, auth, tr,
		[]string{repo.Scope(transport.PushScope)})
	if err != nil {
		return nil, "", fmt.Errorf("lease: authenticating to %s: %w: %w", c.Host, err, errdefs.ErrUnavailable)
	}
	if c.rts == nil {
		c.rts = map[string]http.RoundTripper{}
	}
	c.rts[repository] = rt
	return &http.Client{Transport: rt}, base, nil
}

func (c *Client) call(ctx context.Context, method, repository, key, query string, body any) (int, Info, error) {
	hc, base, err := c.client(ctx, repository)
	if err != nil {
		return 0, Info{}, err
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	u := base + Path(repository, key)
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, Info{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, Info{}, fmt.Errorf("lease %s %s: %w: %w", method, key, err, errdefs.ErrUnavailable)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var in Info
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusConflict:
		if err := json.Unmarshal(b, &in); err != nil {
			return resp.StatusCode, in, fmt.Errorf("lease %s %s: %w", method, key, err)
		}
		return resp.StatusCode, in, nil
	case http.StatusNoContent:
		return resp.StatusCode, in, nil
	case http.StatusNotFound:
		return resp.StatusCode, in, fmt.Errorf("lease %s %s: %s: %w", method, key, bytes.TrimSpace(b), errdefs.ErrNotFound)
	case http.StatusUnauthorized, http.StatusForbidden:
		return resp.StatusCode, in, fmt.Errorf("lease %s %s: %s: %s: %w", method, key, resp.Status, bytes.TrimSpace(b), errdefs.ErrPermissionDenied)
	case http.StatusBadRequest:
		return resp.StatusCode, in, fmt.Errorf("lease %s %s: %s: %w", method, key, bytes.TrimSpace(b), errdefs.ErrNotImplemented)
	}
	return resp.StatusCode, in, fmt.Errorf("lease %s %s: %s: %s: %w", method, key, resp.Status, bytes.TrimSpace(b), errdefs.ErrUnavailable)
}

// Acquire asks for the lease of (repository, key). Acquired, it returns
// the held lease, renewed in the background until Release; held by
// another, it returns *HeldError with the holder's lease.
func (c *Client) Acquire(ctx context.Context, repository, key, holder string, ttl time.Duration) (*Held, error) {
	ttl = ClampTTL(ttl)
	code, in, err := c.call(ctx, http.MethodPost, repository, key, "", leaseBody{Holder: holder, TTL: ttl.String()})
	if err != nil {
		return nil, err
	}
	if code == http.StatusConflict {
		return nil, &HeldError{Info: in}
	}
	h := &Held{Info: in, c: c, repo: repository, ttl: ttl, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go h.keep(context.WithoutCancel(ctx))
	return h, nil
}

// Get returns the current lease of (repository, key); errdefs.ErrNotFound if none.
func (c *Client) Get(ctx context.Context, repository, key string) (Info, error) {
	_, in, err := c.call(ctx, http.MethodGet, repository, key, "", nil)
	return in, err
}

type leaseBody struct {
	Holder string `json:"holder,omitempty"`
	ID     string `json:"id,omitempty"`
	TTL    string `json:"ttl"`
}

// Held is an acquired lease, renewed every TTL/3 until released.
type Held struct {
	Info Info
	c    *Client
	repo string
	ttl  time.Duration

	once sync.Once
	lost chan struct{} // closed when a renewal finds the lease taken
	stop chan struct{}
	done chan struct{}
}

// Lost is closed when the lease was found to belong to someone else
// (this holder stalled past its TTL).
func (h *Held) Lost() <-chan struct{} { return h.lost }

func (h *Held) keep(ctx context.Context) {
	defer close(h.done)
	t := time.NewTicker(h.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			rctx, cancel := context.WithTimeout(ctx, h.ttl/3)
			_, _, err := h.c.call(rctx, http.MethodPut, h.repo, h.Info.Key, "", leaseBody{ID: h.Info.ID, TTL: h.ttl.String()})
			cancel()
			if errdefs.IsNotFound(err) {
				close(h.lost)
				return
			}
			// Other errors: try again next tick; the TTL leaves two more.
		}
	}
}

// Release stops renewing and gives the lease up.
func (h *Held) Release(ctx context.Context) error {
	var err error
	h.once.Do(func() {
		close(h.stop)
		<-h.done
		_, _, err = h.c.call(ctx, http.MethodDelete, h.repo, h.Info.Key, url.Values{"id": {h.Info.ID}}.Encode(), nil)
		if errdefs.IsNotFound(err) {
			err = nil
		}
	})
	return err
}

// IsHeld reports whether err is a HeldError, and returns its lease.
func IsHeld(err error) (Info, bool) {
	var h *HeldError
	if errors.As(err, &h) {
		return h.Info, true
	}
	return Info{}, false
}
