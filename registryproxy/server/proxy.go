package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/containerd/errdefs"
)

// forwardedRequestHeaders are the only client headers sent to the backend.
var forwardedRequestHeaders = []string{
	"Accept", "Content-Type", "Content-Range", "Range", "If-None-Match", "If-Range", "If-Modified-Since",
}

// copiedResponseHeaders are the only backend headers relayed to clients;
// Location and Link are rewritten separately.
var copiedResponseHeaders = []string{
	"Content-Type", "Content-Length", "Content-Range", "Range", "Accept-Ranges", "Docker-Content-Digest",
	"Etag", "Last-Modified", "Cache-Control", "Oci-Chunk-Min-Length",
}

// upstream builds a backend request from canonical parts. body may be nil.
func (s *Server) upstream(r *http.Request, method, path string, query url.Values, body io.ReadCloser, length int64) (*http.Response, error) {
	u := &url.URL{Path: path}
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	req, err := http.NewRequestWithContext(r.Context(), method, "/", nil)
	if err != nil {
		return nil, err
	}
	req.URL = u
	for _, h := range forwardedRequestHeaders {
		if v := r.Header.Values(h); len(v) > 0 {
			req.Header[h] = v
		}
	}
	req.Header.Set("User-Agent", "devcache-proxy")
	if body != nil && length != 0 {
		req.Body, req.ContentLength = body, length
	} else {
		req.ContentLength = 0
	}
	resp, err := s.o.Backend.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("backend %s %s: %w: %w", method, path, err, errdefs.ErrUnavailable)
	}
	return resp, nil
}

// relay writes a backend response: the allowed headers, the status and the
// streamed body (never buffered). Error bodies are sanitised.
func relay(w http.ResponseWriter, resp *http.Response, method string) error {
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return relayError(w, resp)
	}
	copyHeaders(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	if method == http.MethodHead {
		return nil
	}
	_, err := stream(w, resp.Body)
	return err
}

func copyHeaders(dst, src http.Header) {
	for _, h := range copiedResponseHeaders {
		if v := src.Values(h); len(v) > 0 {
			dst[h] = v
		}
	}
}

// bufPool holds 64 KiB copy buffers: on loopback, larger buffers (256 KiB,
// 1 MiB) measured slower than cache-sized ones.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// writerOnly hides ReadFrom so the pooled buffer is used.
type writerOnly struct{ io.Writer }

func stream(w io.Writer, body io.Reader) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	return io.CopyBuffer(writerOnly{w}, body, *bp)
}

// relayError passes the backend's error codes and messages through, without
// details (they may name backend repositories).
func relayError(w http.ResponseWriter, resp *http.Response) error {
	var doc struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&doc)
	type entry struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	out := struct {
		Errors []entry `json:"errors"`
	}{Errors: []entry{}}
	for _, e := range doc.Errors {
		if validCode(e.Code) {
			out.Errors = append(out.Errors, entry{e.Code, sanitizeMessage(e.Message)})
		}
	}
	if len(out.Errors) == 0 {
		out.Errors = append(out.Errors, entry{"UNKNOWN", http.StatusText(resp.StatusCode)})
	}
	if v := resp.Header.Get("Range"); v != "" && resp.StatusCode == http.StatusRequestedRangeNotSatisfiable {
		w.Header().Set("Range", v)
	}
	status := resp.StatusCode
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		status = http.StatusBadGateway // the backend refused the proxy's own credentials
		out.Errors = []entry{{"UNKNOWN", "the backing registry refused the proxy"}}
	}
	return writeJSON(w, status, out)
}

func validCode(c string) bool {
	if c == "" || len(c) > 40 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if (c[i] < 'A' || c[i] > 'Z') && c[i] != '_' {
			return false
		}
	}
	return true
}

func sanitizeMessage(m string) string {
	if len(m) > 200 {
		m = m[:200]
	}
	if strings.Contains(m, "/") {
		return "request failed in the backing registry"
	}
	return m
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}

// bodyOf returns the request body and its length for forwarding (-1: unknown, chunked).
func bodyOf(r *http.Request) (io.ReadCloser, int64) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0
	}
	return r.Body, r.ContentLength
}
