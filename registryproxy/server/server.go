package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/registryproxy"
	"github.com/devcache/devcache/registryproxy/errcode"
	"github.com/devcache/devcache/registryproxy/lease"
	"github.com/devcache/devcache/registryproxy/objstore"
	"github.com/devcache/devcache/registryproxy/policy"
	"github.com/devcache/devcache/registryproxy/pushrecord"
	"github.com/devcache/devcache/registryproxy/route"
	"github.com/devcache/devcache/registryproxy/token"
)

// Options configure a Server.
type Options struct {
	Authority *token.Authority
	Backend   registryproxy.Backend
	Namer     *policy.Namer
	Records   *pushrecord.Store
	// UploadSecret seals upload-session ids (32 bytes or more).
	UploadSecret []byte
	// Realm is the token endpoint URL put in challenges; empty derives it
	// from the request (scheme://host/token).
	Realm string
	// TokenTTL is the lifetime of issued access tokens (default 5m).
	TokenTTL time.Duration
	// Expiry is how long a pushed image is served, per repository kind
	// (defaults: 30 days for caches, 7 for prebuilds).
	Expiry policy.Expiry
	// CacheDisabled refuses pulls and pushes of image-cache repositories
	// (prebuild repositories are not affected).
	CacheDisabled bool
	// Logger for request logs (default slog.Default()).
	Logger *slog.Logger
	// Metrics, if set, receives per-request observations.
	Metrics *Metrics
	// Leases, if set, serves the build-lease endpoint (LeasePrefix).
	Leases *lease.Manager
	// TagClaims, if set, makes tags write-once across replicas: a
	// conditional create in this shared store decides which digest a tag
	// holds. Unset, a tag PUT is check-then-put on this replica and the
	// backend's own immutability (ECR, Artifact Registry) holds across.
	TagClaims objstore.Store
}

// Server is an http.Handler serving /token and /v2/.
type Server struct {
	o        Options
	sessions *sealer
	locks    keyedMutex
	now      func() time.Time
}

// New returns a server.
func New(o Options) (*Server, error) {
	if o.Authority == nil || o.Backend == nil || o.Namer == nil || o.Records == nil {
		return nil, errors.New("server: authority, backend, namer and records are required")
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = 5 * time.Minute
	}
	o.Expiry = o.Expiry.WithDefaults()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s, err := newSealer(o.UploadSecret)
	if err != nil {
		return nil, err
	}
	return &Server{o: o, sessions: s, now: time.Now}, nil
}

// ServeHTTP dispatches a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if s.o.Metrics != nil {
		s.o.Metrics.InFlight.Inc()
		defer s.o.Metrics.InFlight.Dec()
	}
	id := newRequestID()
	ctx := log.WithLogger(r.Context(), s.o.Logger.With("request_id", id))
	r = r.WithContext(ctx)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	rec.Header().Set("X-Request-Id", id)
	rec.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
	kind := "token"
	guardBody(w, r, r.URL.Path == "/token")
	if r.URL.Path == "/token" {
		s.serveToken(rec, r)
	} else if strings.HasPrefix(r.URL.Path, LeasePrefix) {
		kind = "lease"
		s.serveLease(rec, r)
	} else {
		kind = s.serveRegistry(rec, r)
	}
	d := time.Since(start)
	if s.o.Metrics != nil {
		s.o.Metrics.observe(kind, r.Method, rec.status, d)
	}
	log.G(ctx).Info("request", "method", r.Method, "path", r.URL.EscapedPath(), "route", kind, "status", rec.status, "duration", d)
}

func (s *Server) serveRegistry(w http.ResponseWriter, r *http.Request) string {
	rt, err := route.ParsePath(r.Method, r.URL.EscapedPath(), r.URL.RawQuery)
	if err != nil {
		errcode.Write(w, err)
		return "invalid"
	}
	claims, err := s.authenticate(r)
	if err != nil {
		s.o.Metrics.deny(DenyInvalidToken)
		s.challenge(w, r, "", "invalid_token")
		return rt.Kind.String()
	}
	if err := policy.Authorize(claims, rt); err != nil {
		var d *policy.Denial
		if errors.As(err, &d) {
			e, reason := "", DenyNoToken
			if d.Insufficient {
				e, reason = "insufficient_scope", DenyInsufficientScope
			}
			s.o.Metrics.deny(reason)
			s.challenge(w, r, d.Scope, e)
		} else {
			s.o.Metrics.deny(DenyDelete)
			errcode.Write(w, err)
		}
		return rt.Kind.String()
	}
	if s.o.CacheDisabled && touchesImageCache(rt) {
		s.o.Metrics.deny(DenyCacheDisabled)
		errcode.WriteCode(w, errcode.Denied, "the devcache image cache is disabled for this runner: pulls and pushes of image-cache repositories are refused")
		return rt.Kind.String()
	}
	if err := s.dispatch(w, r, rt, claims); err != nil {
		lg := log.G(r.Context()).With("route", rt.Kind.String(), "method", r.Method, "error", err)
		if rec, ok := w.(*statusRecorder); ok && rec.wrote {
			lg.Warn("response interrupted") // headers are out: the client sees a short body
			return rt.Kind.String()
		}
		var e *errcode.Error
		if errors.As(err, &e) && e.Code.Status < 500 {
			lg.Debug("request refused")
		} else {
			lg.Warn("request failed")
		}
		errcode.Write(w, err)
	}
	return rt.Kind.String()
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, rt route.Route, claims *token.AccessClaims) error {
	switch rt.Kind {
	case route.Base:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
		return nil
	case route.Catalog:
		return s.serveCatalog(w, claims)
	case route.Tags:
		return s.serveTags(w, r, rt)
	case route.Manifest:
		if r.Method == http.MethodPut {
			return s.putManifest(w, r, rt)
		}
		return s.getManifest(w, r, rt)
	case route.Blob:
		return s.getBlob(w, r, rt)
	case route.BlobUploads:
		return s.startUpload(w, r, rt, claims)
	case route.BlobUpload:
		return s.continueUpload(w, r, rt, claims)
	case route.Referrers:
		return errcode.New(errcode.UnsupportedResource, "the referrers API is not supported by this registry; use the referrers tag schema")
	}
	return errcode.New(errcode.UnsupportedResource, "not a distribution API path")
}

// authenticate returns the verified bearer token, nil if none was sent.
func (s *Server) authenticate(r *http.Request) (*token.AccessClaims, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return nil, errors.New("not a bearer token")
	}
	return s.o.Authority.VerifyAccess(strings.TrimSpace(tok))
}

// challenge answers 401 with a Bearer challenge for scope.
func (s *Server) challenge(w http.ResponseWriter, r *http.Request, scope, errParam string) {
	realm := s.o.Realm
	if realm == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		realm = scheme + "://" + r.Host + "/token"
	}
	v := `Bearer realm="` + realm + `",service="` + s.o.Authority.Service() + `"`
	if scope != "" {
		v += `,scope="` + scope + `"`
	}
	if errParam != "" {
		v += `,error="` + errParam + `"`
	}
	w.Header().Set("WWW-Authenticate", v)
	errcode.WriteCode(w, errcode.Unauthorized, "authentication required")
}

func (s *Server) serveCatalog(w http.ResponseWriter, claims *token.AccessClaims) error {
	// Never the backend's catalog: only the caller's own pullable names.
	repos := []string{}
	for _, a := range claims.Access {
		if _, ok := policy.ParseRepository(a.Name); ok && claims.Allows(a.Name, token.ActionPull) {
			repos = append(repos, a.Name)
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"repositories": repos})
}

// backendName maps a canonical client repository to its backend name.
func (s *Server) backendName(name string) string {
	repo, _ := policy.ParseRepository(name) // authorised routes always parse
	return s.o.Namer.Backend(repo)
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// touchesImageCache reports whether rt reads or writes an image-cache
// repository (projects/<p>/image-build), as its name or a mount's source.
func touchesImageCache(rt route.Route) bool {
	for _, n := range []string{rt.Name, rt.From} {
		if r, ok := policy.ParseRepository(n); ok && r.Kind == contract.KindImageBuild {
			return true
		}
	}
	return false
}
