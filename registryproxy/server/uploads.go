package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/devcache/devcache/registryproxy/errcode"
	"github.com/devcache/devcache/registryproxy/policy"
	"github.com/devcache/devcache/registryproxy/route"
	"github.com/devcache/devcache/registryproxy/token"
)

// startUpload handles POST /v2/<name>/blobs/uploads/ (plain, monolithic
// with ?digest=, or a mount). A mount is only passed on when the token may
// pull from the same project's source repository; otherwise, and when
// "from" is absent (automatic mounts are existence oracles), a plain upload
// session is started and the client uploads the blob.
func (s *Server) startUpload(w http.ResponseWriter, r *http.Request, rt route.Route, claims *token.AccessClaims) error {
	q := url.Values{}
	if rt.QueryDigest != "" {
		q.Set("digest", rt.QueryDigest.String())
	}
	if rt.Mount != "" && rt.From != "" {
		if policy.MountAllowed(claims, rt.Name, rt.From) {
			q.Set("mount", rt.Mount.String())
			q.Set("from", s.backendName(rt.From))
		} else {
			s.o.Metrics.deny(DenyMount)
		}
	}
	body, n := bodyOf(r)
	if rt.QueryDigest == "" {
		body, n = nil, 0
	}
	resp, err := s.upstream(r, http.MethodPost, "/v2/"+s.backendName(rt.Name)+"/blobs/uploads/", q, body, n)
	if err != nil {
		return err
	}
	return s.relayUpload(w, r, rt, claims, resp)
}

// continueUpload handles GET/PATCH/PUT/DELETE on an upload session.
func (s *Server) continueUpload(w http.ResponseWriter, r *http.Request, rt route.Route, claims *token.AccessClaims) error {
	sess, err := s.sessions.open(rt.UploadID, s.now())
	if err != nil || sess.Repository != rt.Name || sess.Subject != claims.Subject {
		// Another repository's, another credential's or a forged session:
		// indistinguishable from one that never existed.
		return errcode.New(errcode.BlobUploadUnknown, "blob upload unknown to registry")
	}
	u, err := url.Parse(sess.Backend)
	if err != nil {
		return errcode.New(errcode.BlobUploadUnknown, "blob upload unknown to registry")
	}
	q := u.Query()
	if rt.QueryDigest != "" {
		q.Set("digest", rt.QueryDigest.String())
	}
	var resp *http.Response
	switch r.Method {
	case http.MethodPatch, http.MethodPut:
		body, n := bodyOf(r)
		resp, err = s.upstream(r, r.Method, u.Path, q, body, n)
	default:
		resp, err = s.upstream(r, r.Method, u.Path, q, nil, 0)
	}
	if err != nil {
		return err
	}
	return s.relayUpload(w, r, rt, claims, resp)
}

// relayUpload rewrites an upload response's Location: a session location
// becomes a sealed id; a finished blob's location is rebuilt from the digest.
func (s *Server) relayUpload(w http.ResponseWriter, r *http.Request, rt route.Route, claims *token.AccessClaims, resp *http.Response) error {
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return relayError(w, resp)
	}
	copyHeaders(w.Header(), resp.Header)
	w.Header().Del("Content-Length")
	switch resp.StatusCode {
	case http.StatusAccepted, http.StatusNoContent:
		if loc := resp.Header.Get("Location"); loc != "" {
			id, err := s.sealLocation(rt, claims, loc)
			if err != nil {
				return err
			}
			w.Header().Set("Location", "/v2/"+rt.Name+"/blobs/uploads/"+id)
		}
	case http.StatusCreated:
		d := resp.Header.Get("Docker-Content-Digest")
		if _, err := route.ParseDigest(d); err != nil {
			return errcode.New(errcode.BadGateway, "backing registry sent no valid Docker-Content-Digest")
		}
		w.Header().Set("Location", "/v2/"+rt.Name+"/blobs/"+d)
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(resp.StatusCode)
	return nil
}

func (s *Server) sealLocation(rt route.Route, claims *token.AccessClaims, loc string) (string, error) {
	u, err := url.Parse(loc)
	if err != nil {
		return "", errcode.New(errcode.BadGateway, "backing registry sent an invalid upload location")
	}
	prefix := "/v2/" + s.backendName(rt.Name) + "/blobs/uploads/"
	if !strings.HasPrefix(u.Path, prefix) || strings.Contains(u.Path[len(prefix):], "/") {
		return "", errcode.New(errcode.BadGateway, "backing registry sent an upload location outside the repository")
	}
	backend := u.Path
	if u.RawQuery != "" {
		backend += "?" + u.RawQuery
	}
	return s.sessions.seal(uploadSession{Repository: rt.Name, Subject: claims.Subject, Backend: backend, Expires: s.now().Add(SessionLifetime)})
}
