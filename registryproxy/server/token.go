package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/registryproxy/errcode"
	"github.com/devcache/devcache/registryproxy/policy"
	"github.com/devcache/devcache/registryproxy/token"
)

// tokenResponse is the token endpoint's answer (token.md and oauth.md).
type tokenResponse struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	IssuedAt     string `json:"issued_at"`
	Scope        string `json:"scope,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// maxTokenBody caps a POST /token form.
const maxTokenBody = 64 << 10

// serveToken implements GET (Basic auth, repeated scope) and POST (OAuth2
// form: grant_type password or refresh_token, space-separated scope).
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	var password string
	var scopes []string
	offline := false
	switch r.Method {
	case http.MethodGet:
		_, password, _ = r.BasicAuth()
		q := r.URL.Query()
		scopes = q["scope"]
		offline = q.Get("offline_token") == "true"
	case http.MethodPost:
		// Credentials sent in the header are checked before the body is
		// read: a refused client never gets to send one.
		if _, basic, ok := r.BasicAuth(); ok {
			if _, err := s.o.Authority.VerifyCredential(basic); err != nil {
				log.G(r.Context()).Info("token request refused", "error", err)
				s.o.Metrics.deny(DenyInvalidCredential)
				// Close instead of draining the unread body first (net/http
				// would wait for it to keep the connection alive).
				w.Header().Set("Connection", "close")
				writeOAuthError(w, http.StatusUnauthorized, "invalid_client")
				return
			}
			password = basic
		}
		if r.ContentLength > maxTokenBody {
			w.Header().Set("Connection", "close")
			writeOAuthError(w, http.StatusRequestEntityTooLarge, "invalid_request")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxTokenBody)
		if err := r.ParseForm(); err != nil {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request")
			return
		}
		switch r.PostForm.Get("grant_type") {
		case "password":
			if p := r.PostForm.Get("password"); p != "" {
				password = p
			}
		case "refresh_token":
			password = r.PostForm.Get("refresh_token")
		default:
			writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type")
			return
		}
		scopes = r.PostForm["scope"]
		offline = r.PostForm.Get("access_type") == "offline"
	default:
		errcode.WriteCode(w, errcode.Unsupported, "use GET or POST")
		return
	}
	if password == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="devcache-proxy"`)
		errcode.WriteCode(w, errcode.Unauthorized, "credentials required")
		return
	}
	if svc := r.FormValue("service"); svc != "" && svc != s.o.Authority.Service() {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	cred, err := s.o.Authority.VerifyCredential(password)
	if err != nil {
		log.G(r.Context()).Info("token request refused", "error", err)
		s.o.Metrics.deny(DenyInvalidCredential)
		if r.Method == http.MethodPost {
			writeOAuthError(w, http.StatusUnauthorized, "invalid_grant")
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="devcache-proxy"`)
		errcode.WriteCode(w, errcode.Unauthorized, "invalid credentials")
		return
	}
	granted := token.Intersect(token.ParseScopes(scopes), policy.Grants(cred.Project, cred.Purpose))
	tok, issued, ttl, err := s.o.Authority.IssueAccess(cred, granted, s.o.TokenTTL)
	if err != nil {
		errcode.Write(w, err)
		return
	}
	resp := tokenResponse{Token: tok, AccessToken: tok, ExpiresIn: int(ttl / time.Second), IssuedAt: issued.UTC().Format(time.RFC3339)}
	parts := make([]string, 0, len(granted))
	for _, g := range granted {
		parts = append(parts, g.String())
	}
	resp.Scope = strings.Join(parts, " ")
	if offline {
		resp.RefreshToken = password // the credential itself: stateless, expires on its own
	}
	if s.o.Metrics != nil {
		s.o.Metrics.TokensIssued.WithLabelValues(string(cred.Purpose)).Inc()
	}
	w.Header().Set("Cache-Control", "no-store")
	_ = writeJSON(w, http.StatusOK, resp)
}

func writeOAuthError(w http.ResponseWriter, status int, code string) {
	_ = writeJSON(w, status, map[string]string{"error": code})
}
