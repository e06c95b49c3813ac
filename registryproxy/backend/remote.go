package backend

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Remote is any OCI registry reachable by URL. Requests carry HTTP basic
// credentials, a static bearer token, or, when the registry answers with a
// Bearer challenge, tokens from its token endpoint obtained with the basic
// credentials (the Docker token protocol, as distribution with token auth,
// Docker Hub or Artifact Registry speak it).
type Remote struct {
	base      *url.URL
	auth      string // static Authorization header, if any
	creds     CredentialSource
	transport *http.Transport
	tokens    *tokenSource
	probe     sync.Once
}

// RemoteOptions configure a remote backend.
type RemoteOptions struct {
	URL      string
	Username string
	Password string
	// BearerToken, if set, is sent as "Authorization: Bearer".
	BearerToken string
	// Credentials, if set, replaces Username/Password with a refreshing
	// source (NewGARCredentials).
	Credentials CredentialSource
	// RootCAs verifies an https backend (nil: the system roots, which
	// honour SSL_CERT_FILE and SSL_CERT_DIR).
	RootCAs *x509.CertPool
	// InsecureSkipVerify disables TLS verification (tests only).
	InsecureSkipVerify bool
}

// NewRemote returns a backend for the registry at o.URL (http or https).
func NewRemote(o RemoteOptions) (*Remote, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("backend url %q must be http(s)://host[:port]", o.URL)
	}
	r := &Remote{base: u, creds: o.Credentials}
	switch {
	case o.BearerToken != "":
		r.auth = "Bearer " + o.BearerToken
	case r.creds == nil && o.Username != "":
		r.creds = staticCredentials{o.Username, o.Password}
	}
	r.transport = &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: o.RootCAs, InsecureSkipVerify: o.InsecureSkipVerify}, //nolint:gosec // opt-in for tests
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		WriteBufferSize:     256 << 10,
		ReadBufferSize:      256 << 10,
		// HTTP/1.1 only: Go's HTTP/2 flow control throttles large uploads (BuildKit does the same).
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	if o.BearerToken == "" {
		r.tokens = &tokenSource{creds: r.creds, client: &http.Client{Transport: r.transport, Timeout: 30 * time.Second}}
	}
	return r, nil
}

// RoundTrip sends req to the remote registry with the backend's credentials.
func (r *Remote) RoundTrip(req *http.Request) (*http.Response, error) {
	req.URL.Scheme = r.base.Scheme
	req.URL.Host = r.base.Host
	req.Host = r.base.Host
	if r.tokens == nil {
		if r.auth != "" {
			req.Header.Set("Authorization", r.auth)
		}
		return r.transport.RoundTrip(req)
	}
	r.probe.Do(func() { r.ping(req) })
	scopes := scopesFor(req)
	if r.tokens.active() && scopes != nil {
		tok, err := r.tokens.token(req.Context(), scopes, false)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	} else if r.creds != nil {
		u, p, err := r.creds.Basic(req.Context())
		if err != nil {
			return nil, err
		}
		req.SetBasicAuth(u, p)
	}
	resp, err := r.transport.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || scopes == nil {
		return resp, err
	}
	// A (new or expired-token) challenge: refresh and replay if the body allows it.
	if !r.tokens.challenge(resp.Header.Get("WWW-Authenticate")) || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
		return resp, nil
	}
	tok, err := r.tokens.token(req.Context(), scopes, true)
	if err != nil {
		return resp, nil
	}
	_ = resp.Body.Close()
	retry := req.Clone(req.Context())
	if req.GetBody != nil {
		if retry.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	retry.Header.Set("Authorization", "Bearer "+tok)
	return r.transport.RoundTrip(retry)
}

// ping learns whether the registry uses the token protocol, before the
// first real request (whose body may not be replayable).
func (r *Remote) ping(orig *http.Request) {
	req, err := http.NewRequestWithContext(orig.Context(), http.MethodGet, r.base.Scheme+"://"+r.base.Host+"/v2/", nil)
	if err != nil {
		return
	}
	resp, err := r.transport.RoundTrip(req)
	if err != nil {
		return
	}
	_ = resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		r.tokens.challenge(resp.Header.Get("WWW-Authenticate"))
	}
}

// Close releases idle connections.
func (r *Remote) Close() error {
	r.transport.CloseIdleConnections()
	return nil
}
