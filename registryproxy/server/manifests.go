package server

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/registryproxy/errcode"
	"github.com/devcache/devcache/registryproxy/policy"
	"github.com/devcache/devcache/registryproxy/pushrecord"
	"github.com/devcache/devcache/registryproxy/route"
)

// MaxManifestSize is the largest manifest accepted (the spec asks for at least 4 MB).
const MaxManifestSize = 4 << 20

// manifestAccept is sent when the proxy itself asks for a tag's digest.
const manifestAccept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " +
	"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"

func (s *Server) manifestPath(rt route.Route, ref string) string {
	return "/v2/" + s.backendName(rt.Name) + "/manifests/" + ref
}

// liveTag reports whether a tag's push record proves it unexpired.
func (s *Server) liveTag(r *http.Request, backendRepo, tag string) (pushrecord.Record, bool, error) {
	rec, err := s.o.Records.Get(r.Context(), backendRepo, tag)
	if errdefs.IsNotFound(err) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	return rec, !policy.Expired(rec.PushedAt, s.now(), s.o.Expiry.For(backendRepo)), nil
}

func (s *Server) getManifest(w http.ResponseWriter, r *http.Request, rt route.Route) error {
	ref := rt.Reference()
	if rt.Tag != "" {
		rec, live, err := s.liveTag(r, s.backendName(rt.Name), rt.Tag)
		if err != nil {
			return err
		}
		if !live {
			// Absent, expired or never recorded: all look the same.
			return errcode.New(errcode.ManifestUnknown, "manifest unknown")
		}
		// The record names the digest the tag holds: a manifest a stalled
		// push left at the backend's tag is never served.
		ref = rec.Digest.String()
	}
	resp, err := s.upstream(r, r.Method, s.manifestPath(rt, ref), nil, nil, 0)
	if err != nil {
		return err
	}
	return relay(w, resp, r.Method)
}

func (s *Server) putManifest(w http.ResponseWriter, r *http.Request, rt route.Route) error {
	if len(rt.TagParams) > 0 {
		return errcode.New(errcode.Unsupported, "tag query parameters on manifest PUT are not supported: push each tag by name")
	}
	if r.ContentLength > MaxManifestSize {
		return errcode.New(errcode.ManifestTooLarge, "manifest larger than %d bytes", MaxManifestSize)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxManifestSize+1))
	if err != nil {
		return errcode.New(errcode.ManifestInvalid, "reading manifest: %v", err)
	}
	if len(body) > MaxManifestSize {
		return errcode.New(errcode.ManifestTooLarge, "manifest larger than %d bytes", MaxManifestSize)
	}
	dgst := digest.FromBytes(body)
	if rt.Digest != "" {
		if rt.Digest.Algorithm() != digest.SHA256 {
			dgst = rt.Digest.Algorithm().FromBytes(body)
		}
		if dgst != rt.Digest {
			return errcode.New(errcode.DigestInvalid, "manifest digest does not match the reference")
		}
		return s.forwardManifest(w, r, rt, body, dgst, nil)
	}

	backendRepo := s.backendName(rt.Name)
	// Serialise PUTs of one tag on this replica.
	unlock := s.locks.lock(backendRepo + ":" + rt.Tag)
	defer unlock()
	record := func(dgst digest.Digest) error {
		rec := pushrecord.Record{Repository: backendRepo, Tag: rt.Tag, Digest: dgst, PushedAt: s.now().UTC()}
		if err := s.o.Records.Put(r.Context(), rec); err != nil {
			return err
		}
		log.G(r.Context()).Info("tag pushed", "repository", rt.Name, "tag", rt.Tag, "digest", dgst)
		return nil
	}
	if s.o.TagClaims != nil {
		// Across replicas: the tag's claim in the shared store decides.
		unchanged, err := s.claimTag(r.Context(), backendRepo, rt.Tag, dgst)
		if err != nil {
			return err
		}
		if unchanged {
			if rec, live, err := s.liveTag(r, backendRepo, rt.Tag); err != nil {
				return err
			} else if live && rec.Digest == dgst {
				unchangedTag(w, rt.Name, dgst)
				return nil
			}
		}
		// The record is written only once the backend holds the manifest
		// and the claim is committed: a refused or stalled push leaves none.
		return s.forwardManifest(w, r, rt, body, dgst, func(got digest.Digest) error {
			if got != dgst {
				return errcode.New(errcode.BadGateway, "backing registry stored %s for a manifest of digest %s", got, dgst)
			}
			if err := s.commitTag(r.Context(), backendRepo, rt.Tag, dgst); err != nil {
				return err
			}
			return record(dgst)
		})
	}
	// Without a shared store (a remote registry, which keeps its own
	// immutability): check, then put.
	current, err := s.tagDigest(r, rt)
	if err != nil {
		return err
	}
	live := false
	if current != "" {
		rec, ok, err := s.liveTag(r, backendRepo, rt.Tag)
		if err != nil {
			return err
		}
		live = ok && rec.Digest == current
	}
	switch policy.DecideTagPut(current, dgst, live) {
	case policy.TagUnchanged:
		unchangedTag(w, rt.Name, dgst)
		return nil
	case policy.TagRefuse:
		if s.o.Metrics != nil {
			s.o.Metrics.ImmutableRefusals.Inc()
		}
		return errcode.New(errcode.TagInvalid, "tag %s is immutable: it already holds %s", rt.Tag, current)
	}
	// The record is written only once the backend has accepted the
	// manifest: a refused manifest leaves nothing behind. A crash between
	// the two leaves a tag without a record, which is served as absent and
	// may be pushed again.
	return s.forwardManifest(w, r, rt, body, dgst, record)
}

// tagDigest asks the backend which digest a tag holds ("" if none).
func (s *Server) tagDigest(r *http.Request, rt route.Route) (digest.Digest, error) {
	req := r.Clone(r.Context())
	req.Header = http.Header{"Accept": {manifestAccept}}
	resp, err := s.upstream(req, http.MethodHead, s.manifestPath(rt, rt.Tag), nil, nil, 0)
	if err != nil {
		return "", err
	}
	_ = resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		d, err := digest.Parse(resp.Header.Get("Docker-Content-Digest"))
		if err != nil {
			return "", errors.New("backend sent no Docker-Content-Digest for a manifest HEAD")
		}
		return d, nil
	case http.StatusNotFound:
		return "", nil
	default:
		return "", errcode.New(errcode.BadGateway, "backing registry answered %d", resp.StatusCode)
	}
}

// forwardManifest PUTs the manifest to the backend; accepted, when set,
// runs after the backend answered 201 and before the client hears of it.
func (s *Server) forwardManifest(w http.ResponseWriter, r *http.Request, rt route.Route, body []byte, dgst digest.Digest, accepted func(digest.Digest) error) error {
	resp, err := s.upstream(r, http.MethodPut, s.manifestPath(rt, rt.Reference()), nil, io.NopCloser(bytes.NewReader(body)), int64(len(body)))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return relay(w, resp, r.Method)
	}
	_ = resp.Body.Close()
	if d := resp.Header.Get("Docker-Content-Digest"); d != "" {
		dgst = digest.Digest(d)
	}
	if accepted != nil {
		if err := accepted(dgst); err != nil {
			return err
		}
	}
	w.Header().Set("Location", (&url.URL{Path: "/v2/" + rt.Name + "/manifests/" + dgst.String()}).String())
	w.Header().Set("Docker-Content-Digest", dgst.String())
	w.Header().Set("Content-Length", strconv.Itoa(0))
	w.WriteHeader(http.StatusCreated)
	return nil
}
