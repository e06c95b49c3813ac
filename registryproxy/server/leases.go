package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/registryproxy/errcode"
	"github.com/devcache/devcache/registryproxy/lease"
	"github.com/devcache/devcache/registryproxy/policy"
	"github.com/devcache/devcache/registryproxy/route"
	"github.com/devcache/devcache/registryproxy/token"
)

// LeasePrefix is the build-lease endpoint: LeasePrefix + <repository> +
// "/" + <key>, where repository is a cache repository
// (projects/<p>/image-build) and key a tag.
//
//	POST   {"holder":"host-1","ttl":"2m"}  201 lease (with id) | 409 the holder's lease
//	PUT    {"id":"…","ttl":"2m"}           200 renewed | 404 no longer yours
//	DELETE ?id=…                           204
//	GET                                    200 lease | 404
//
// Every verb needs a token with push on the repository: only runners that
// may publish the image may claim to be building it.
const LeasePrefix = "/devcache/v1/leases/"

type leaseRequest struct {
	Holder string `json:"holder"`
	ID     string `json:"id"`
	TTL    string `json:"ttl"`
}

func (s *Server) serveLease(w http.ResponseWriter, r *http.Request) {
	if s.o.Leases == nil {
		errcode.WriteCode(w, errcode.Unsupported, "build leases are not configured on this proxy")
		return
	}
	name, key, err := parseLeasePath(r)
	if err != nil {
		errcode.Write(w, err)
		return
	}
	scope := "repository:" + name + ":pull,push"
	claims, err := s.authenticate(r)
	if err != nil || claims == nil {
		s.challenge(w, r, scope, "invalid_token")
		return
	}
	if !claims.Allows(name, token.ActionPush) {
		s.challenge(w, r, scope, "insufficient_scope")
		return
	}
	repo, _ := policy.ParseRepository(name)
	if s.o.CacheDisabled {
		errcode.WriteCode(w, errcode.Denied, "the devcache image cache is disabled for this runner")
		return
	}
	storeKey := s.o.Namer.Backend(repo) + "/" + key
	var req leaseRequest
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if err := json.NewDecoder(io.LimitReader(r.Body, 4<<10)).Decode(&req); err != nil {
			errcode.WriteCode(w, errcode.Unsupported, "lease request: "+err.Error())
			return
		}
	}
	var ttl time.Duration
	if req.TTL != "" {
		if ttl, err = time.ParseDuration(req.TTL); err != nil {
			errcode.WriteCode(w, errcode.Unsupported, "lease ttl: "+err.Error())
			return
		}
	}
	ctx := r.Context()
	switch r.Method {
	case http.MethodPost:
		holder := strings.TrimSpace(req.Holder)
		if len(holder) > 200 {
			holder = holder[:200]
		}
		if holder == "" {
			holder = claims.Subject
		}
		in, err := s.o.Leases.Acquire(ctx, storeKey, holder, ttl)
		var held *lease.HeldError
		if errors.As(err, &held) {
			held.Info.Key = key
			_ = writeJSON(w, http.StatusConflict, held.Info)
			return
		}
		if err != nil {
			writeLeaseError(w, r, err)
			return
		}
		log.G(ctx).Info("build lease acquired", "repository", name, "key", key, "holder", holder, "expires_at", in.ExpiresAt)
		in.Key = key
		_ = writeJSON(w, http.StatusCreated, in)
	case http.MethodPut:
		in, err := s.o.Leases.Renew(ctx, storeKey, req.ID, ttl)
		if err != nil {
			writeLeaseError(w, r, err)
			return
		}
		in.Key = key
		_ = writeJSON(w, http.StatusOK, in)
	case http.MethodDelete:
		if err := s.o.Leases.Release(ctx, storeKey, r.URL.Query().Get("id")); err != nil {
			writeLeaseError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodGet:
		in, err := s.o.Leases.Get(ctx, storeKey)
		if err != nil {
			writeLeaseError(w, r, err)
			return
		}
		in.Key = key
		_ = writeJSON(w, http.StatusOK, in)
	default:
		errcode.WriteCode(w, errcode.Unsupported, "use GET, POST, PUT or DELETE")
	}
}

func writeLeaseError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errdefs.IsNotFound(err):
		errcode.WriteCode(w, errcode.NameUnknown, "no such lease")
	default:
		log.G(r.Context()).Warn("lease store failed", "error", err)
		errcode.WriteCode(w, errcode.Unavailable, "lease store unavailable")
	}
}

// parseLeasePath canonicalises a lease path: no escapes, a cache
// repository and a valid tag as the key.
func parseLeasePath(r *http.Request) (string, string, error) {
	raw := r.URL.EscapedPath()
	if raw != r.URL.Path || r.URL.RawQuery != "" && r.Method != http.MethodDelete {
		return "", "", errcode.New(errcode.NameInvalid, "invalid lease path")
	}
	rest := strings.TrimPrefix(raw, LeasePrefix)
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", "", errcode.New(errcode.NameInvalid, "invalid lease path")
	}
	name, key := rest[:i], rest[i+1:]
	if _, ok := policy.ParseRepository(name); !ok || route.ValidateName(name) != nil {
		return "", "", errcode.New(errcode.NameInvalid, "invalid lease repository")
	}
	if err := route.ValidateTag(key); err != nil {
		return "", "", errcode.New(errcode.TagInvalid, "invalid lease key")
	}
	return name, key, nil
}
