package server

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"

	"github.com/devcache/devcache/registryproxy/errcode"
	"github.com/devcache/devcache/registryproxy/policy"
)

// ClaimPendingTimeout is how long a tag claim whose push never finished
// (its proxy died between claiming and committing) blocks other digests.
const ClaimPendingTimeout = 30 * time.Second

// tagClaim is the object in Options.TagClaims that decides, across
// replicas, which digest a tag holds. It is created with a conditional
// create and changed only with a conditional replace, so of concurrent
// pushes of different manifests exactly one claims the tag; the push
// record, and so what every replica serves, follows the claim.
type tagClaim struct {
	Digest    digest.Digest `json:"digest"`
	ID        string        `json:"id"`
	Committed bool          `json:"committed"` // the backend accepted the manifest
	At        time.Time     `json:"at"`
}

// live reports whether the claim still holds the tag against other digests.
func (c tagClaim) live(now time.Time, expiry time.Duration) bool {
	if c.Committed {
		return !policy.Expired(c.At, now, expiry)
	}
	return now.Before(c.At.Add(ClaimPendingTimeout))
}

func claimKey(backendRepo, tag string) string { return backendRepo + "/" + tag }

func (s *Server) getClaim(ctx context.Context, key string) (tagClaim, string, error) {
	data, ver, err := s.o.TagClaims.Get(ctx, key)
	if err != nil {
		return tagClaim{}, "", err
	}
	var c tagClaim
	if json.Unmarshal(data, &c) != nil {
		// A torn or foreign object holds nothing: it is replaced.
		return tagClaim{}, ver, nil
	}
	return c, ver, nil
}

// claimTag makes the tag's claim name dgst (pending) unless it holds
// another live digest. unchanged is true when the claim is already
// committed to dgst.
func (s *Server) claimTag(ctx context.Context, backendRepo, tag string, dgst digest.Digest) (unchanged bool, err error) {
	key := claimKey(backendRepo, tag)
	expiry := s.o.Expiry.For(backendRepo)
	for range 10 {
		now := s.now().UTC()
		mine, _ := json.Marshal(tagClaim{Digest: dgst, ID: newRequestID(), At: now})
		cur, ver, err := s.getClaim(ctx, key)
		if errdefs.IsNotFound(err) {
			err = s.o.TagClaims.Create(ctx, key, mine)
			if errdefs.IsAlreadyExists(err) {
				continue // another push claimed it first: read which
			}
			return false, claimErr(err)
		}
		if err != nil {
			return false, claimErr(err)
		}
		switch policy.DecideTagPut(cur.Digest, dgst, cur.Digest != "" && cur.live(now, expiry)) {
		case policy.TagUnchanged:
			return cur.Committed, nil
		case policy.TagRefuse:
			if s.o.Metrics != nil {
				s.o.Metrics.ImmutableRefusals.Inc()
			}
			if !cur.Committed {
				return false, errcode.New(errcode.TagInvalid, "tag %s is immutable: a push of %s to it is in progress", tag, cur.Digest)
			}
			return false, errcode.New(errcode.TagInvalid, "tag %s is immutable: it already holds %s", tag, cur.Digest)
		}
		// Absent in effect (expired, or a push that never finished): take it over.
		err = s.o.TagClaims.Replace(ctx, key, mine, ver)
		if errdefs.IsConflict(err) {
			continue
		}
		return false, claimErr(err)
	}
	return false, errcode.New(errcode.Unavailable, "tag %s: too much contention on its claim; retry", tag)
}

// commitTag marks the claim committed once the backend holds dgst. Any
// push of the same digest may commit it (the bytes are the same); a push
// whose claim was taken over meanwhile (it stalled past
// ClaimPendingTimeout) fails and leaves no record.
func (s *Server) commitTag(ctx context.Context, backendRepo, tag string, dgst digest.Digest) error {
	key := claimKey(backendRepo, tag)
	for range 10 {
		cur, ver, err := s.getClaim(ctx, key)
		if err != nil && !errdefs.IsNotFound(err) {
			return claimErr(err)
		}
		if err != nil || cur.Digest != dgst {
			return errcode.New(errcode.TagInvalid, "tag %s was claimed by another push while this one stalled; it does not hold %s", tag, dgst)
		}
		if cur.Committed {
			return nil
		}
		cur.Committed, cur.At = true, s.now().UTC()
		data, _ := json.Marshal(cur)
		err = s.o.TagClaims.Replace(ctx, key, data, ver)
		if errdefs.IsConflict(err) {
			continue
		}
		return claimErr(err)
	}
	return errcode.New(errcode.Unavailable, "tag %s: too much contention on its claim; retry", tag)
}

func claimErr(err error) error {
	if err == nil {
		return nil
	}
	return errcode.New(errcode.Unavailable, "tag claim store unavailable: %v", err)
}

// unchangedTag answers a PUT of the digest a tag already holds.
func unchangedTag(w http.ResponseWriter, name string, dgst digest.Digest) {
	w.Header().Set("Location", "/v2/"+name+"/manifests/"+dgst.String())
	w.Header().Set("Docker-Content-Digest", dgst.String())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}
