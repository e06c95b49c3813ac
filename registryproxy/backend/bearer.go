package backend

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/devcache/devcache/registryproxy/route"
)

// tokenSource implements the client side of the registry token protocol
// for a backend that answers with a Bearer challenge: tokens are fetched
// per scope with the backend's basic credentials, cached until they expire,
// and attached before a request is sent, so streamed bodies never need a
// replay.
type tokenSource struct {
	creds  CredentialSource // nil: anonymous token requests
	client *http.Client

	mu      sync.Mutex
	realm   string
	service string
	tokens  map[string]cachedToken
}

type cachedToken struct {
	token string
	exp   time.Time
}

// challenge records a Bearer challenge; it reports whether h was one.
func (ts *tokenSource) challenge(h string) bool {
	scheme, params, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return false
	}
	p := parseChallenge(params)
	if p["realm"] == "" {
		return false
	}
	ts.mu.Lock()
	ts.realm, ts.service = p["realm"], p["service"]
	ts.mu.Unlock()
	return true
}

func (ts *tokenSource) active() bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.realm != ""
}

// scopesFor derives the scopes a backend request needs from its canonical path.
func scopesFor(req *http.Request) []string {
	rt, err := route.ParsePath(req.Method, req.URL.EscapedPath(), req.URL.RawQuery)
	if err != nil || rt.Name == "" {
		return nil
	}
	actions := "pull"
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		if rt.Kind == route.BlobUpload {
			actions = "pull,push"
		}
	case http.MethodDelete:
		actions = "delete"
		if rt.Kind == route.BlobUpload {
			actions = "pull,push"
		}
	default:
		actions = "pull,push"
	}
	scopes := []string{"repository:" + rt.Name + ":" + actions}
	if rt.From != "" {
		scopes = append(scopes, "repository:"+rt.From+":pull")
	}
	return scopes
}

// token returns a bearer token for scopes, fetching it if needed.
func (ts *tokenSource) token(ctx context.Context, scopes []string, refresh bool) (string, error) {
	key := strings.Join(scopes, " ")
	ts.mu.Lock()
	c, ok := ts.tokens[key]
	realm, service := ts.realm, ts.service
	ts.mu.Unlock()
	if ok && !refresh && time.Now().Before(c.exp) {
		return c.token, nil
	}
	q := url.Values{}
	if service != "" {
		q.Set("service", service)
	}
	for _, s := range scopes {
		q.Add("scope", s)
	}
	u := realm
	if strings.Contains(u, "?") {
		u += "&" + q.Encode()
	} else {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	if ts.creds != nil {
		u, p, err := ts.creds.Basic(ctx)
		if err != nil {
			return "", err
		}
		req.SetBasicAuth(u, p)
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("backend token: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("backend token endpoint answered %s", resp.Status)
	}
	var tr struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tr); err != nil {
		return "", fmt.Errorf("backend token: %w", err)
	}
	tok := tr.Token
	if tok == "" {
		tok = tr.AccessToken
	}
	if tok == "" {
		return "", fmt.Errorf("backend token endpoint returned no token")
	}
	ttl := time.Duration(tr.ExpiresIn) * time.Second
	if ttl < time.Minute {
		ttl = time.Minute
	}
	ts.mu.Lock()
	if ts.tokens == nil || len(ts.tokens) > 10000 {
		ts.tokens = map[string]cachedToken{}
	}
	ts.tokens[key] = cachedToken{tok, time.Now().Add(ttl - 15*time.Second)}
	ts.mu.Unlock()
	return tok, nil
}

// parseChallenge parses k="v",k2="v2" auth-params.
func parseChallenge(s string) map[string]string {
	out := map[string]string{}
	for s != "" {
		s = strings.TrimLeft(s, " ,")
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				break
			}
			v, s = rest[1:1+end], rest[2+end:]
		} else {
			v, s, _ = strings.Cut(rest, ",")
		}
		out[k] = v
	}
	return out
}
