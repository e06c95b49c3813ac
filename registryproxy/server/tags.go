package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/devcache/devcache/registryproxy/errcode"
	"github.com/devcache/devcache/registryproxy/route"
)

// DefaultTagsPage is the page size of a tag listing that names no n
// (route.MaxTagsPage caps the ones that do).
const DefaultTagsPage = 100

func (s *Server) serveTags(w http.ResponseWriter, r *http.Request, rt route.Route) error {
	// Always paged: a listing without n gets DefaultTagsPage tags and a
	// Link to the next page, so one request costs a bounded number of
	// record reads.
	n := rt.N
	if n < 0 {
		n = DefaultTagsPage
	}
	q := url.Values{"n": {strconv.Itoa(n)}}
	if rt.Last != "" {
		q.Set("last", rt.Last)
	}
	resp, err := s.upstream(r, http.MethodGet, "/v2/"+s.backendName(rt.Name)+"/tags/list", q, nil, 0)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return relay(w, resp, r.Method)
	}
	var body struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&body); err != nil {
		return errcode.New(errcode.BadGateway, "backing registry sent a malformed tag list")
	}
	tags, err := s.liveTags(r, s.backendName(rt.Name), body.Tags)
	if err != nil {
		return err
	}
	if next := nextPage(resp.Header.Get("Link")); next != nil {
		// Rebuild the link from its validated parameters on the client's name.
		link := &url.URL{Path: "/v2/" + rt.Name + "/tags/list", RawQuery: next.Encode()}
		w.Header().Set("Link", "<"+link.String()+`>; rel="next"`)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"name": rt.Name, "tags": tags})
}

// liveTags keeps the valid tags whose images are unexpired (the same rule
// as a manifest GET), in order. Push records are cached, so a listing
// costs at most one record read per tag per minute.
func (s *Server) liveTags(r *http.Request, backendRepo string, in []string) ([]string, error) {
	keep := make([]bool, len(in))
	errs := make([]error, len(in))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, t := range in {
		if route.ValidateTag(t) != nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, keep[i], errs[i] = s.liveTag(r, backendRepo, t)
		}()
	}
	wg.Wait()
	out := make([]string, 0, len(in))
	for i, t := range in {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if keep[i] {
			out = append(out, t)
		}
	}
	return out, nil
}

// nextPage extracts n and last from a backend Link header, validated.
func nextPage(h string) url.Values {
	if h == "" {
		return nil
	}
	start, end := -1, -1
	for i := 0; i < len(h); i++ {
		if h[i] == '<' && start < 0 {
			start = i
		}
		if h[i] == '>' && start >= 0 {
			end = i
			break
		}
	}
	if start < 0 || end < 0 {
		return nil
	}
	u, err := url.Parse(h[start+1 : end])
	if err != nil {
		return nil
	}
	in := u.Query()
	out := url.Values{}
	if n, err := strconv.Atoi(in.Get("n")); err == nil && n >= 0 {
		out.Set("n", strconv.Itoa(min(n, route.MaxTagsPage)))
	}
	last := in.Get("last")
	if last == "" || route.ValidateTag(last) != nil {
		return nil
	}
	out.Set("last", last)
	return out
}
