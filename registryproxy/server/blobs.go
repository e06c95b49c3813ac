package server

import (
	"net/http"
	"time"

	"github.com/devcache/devcache/registryproxy"
	"github.com/devcache/devcache/registryproxy/errcode"
	"github.com/devcache/devcache/registryproxy/route"
)

func (s *Server) getBlob(w http.ResponseWriter, r *http.Request, rt route.Route) error {
	path := "/v2/" + s.backendName(rt.Name) + "/blobs/" + rt.Digest.String()
	files, direct := s.o.Backend.(registryproxy.BlobFiles)
	if r.Method == http.MethodHead || !direct {
		resp, err := s.upstream(r, r.Method, path, nil, nil, 0)
		if err != nil {
			return err
		}
		if resp.StatusCode == http.StatusTemporaryRedirect && r.Method == http.MethodGet {
			// A storage redirect (presigned, one object, issued after our
			// authorisation): relay it so bytes bypass the proxy.
			_ = resp.Body.Close()
			http.Redirect(w, r, resp.Header.Get("Location"), http.StatusTemporaryRedirect)
			return nil
		}
		return relay(w, resp, r.Method)
	}
	// Embedded filesystem backend: the backend decides whether this
	// repository holds the blob (its per-repository links), then the proxy
	// serves the file itself with sendfile.
	probe := r.Clone(r.Context())
	probe.Header.Del("Range")
	probe.Header.Del("If-Range")
	head, err := s.upstream(probe, http.MethodHead, path, nil, nil, 0)
	if err != nil {
		return err
	}
	if head.StatusCode != http.StatusOK {
		_ = head.Body.Close()
		return errcode.New(errcode.BlobUnknown, "blob unknown to registry")
	}
	_ = head.Body.Close()
	f, err := files.OpenBlob(r.Context(), rt.Digest)
	if err != nil {
		return errcode.New(errcode.BlobUnknown, "blob unknown to registry")
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Docker-Content-Digest", rt.Digest.String())
	h.Set("Etag", `"`+rt.Digest.String()+`"`)
	h.Set("Cache-Control", "max-age=31536000")
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}
