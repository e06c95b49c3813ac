package pushrecord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

// Store reads and writes push records through a backend round tripper.
type Store struct {
	rt   http.RoundTripper
	repo string
	ttl  time.Duration

	emptyBlob atomic.Bool // the empty blob is known to exist in repo
	mu        sync.RWMutex
	cache     map[string]cachedRecord
}

type cachedRecord struct {
	rec     Record
	fetched time.Time
}

// CacheTTL bounds how long a record read from the backend is reused.
// Tags are immutable while live, so a record only changes when an expired
// tag is re-pushed (through any replica).
const CacheTTL = time.Minute

// NewStore returns a store keeping records in backend repository repo.
func NewStore(rt http.RoundTripper, repo string) *Store {
	return &Store{rt: rt, repo: repo, ttl: CacheTTL, cache: map[string]cachedRecord{}}
}

// Repository is the metadata repository's backend name.
func (s *Store) Repository() string { return s.repo }

func (s *Store) do(ctx context.Context, method, path string, body []byte, hdr map[string]string) (*http.Response, error) {
	u := &url.URL{Path: path}
	if p, q, ok := strings.Cut(path, "?"); ok {
		u.Path, u.RawQuery = p, q
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.URL = u
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := s.rt.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("push record backend %s %s: %w: %w", method, u.Path, err, errdefs.ErrUnavailable)
	}
	return resp, nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

func unexpected(what string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_ = resp.Body.Close()
	return fmt.Errorf("push record %s: backend answered %s: %s: %w", what, resp.Status, strings.TrimSpace(string(b)), errdefs.ErrUnavailable)
}

// ensureEmptyBlob uploads "{}" to the metadata repository once.
func (s *Store) ensureEmptyBlob(ctx context.Context) error {
	if s.emptyBlob.Load() {
		return nil
	}
	resp, err := s.do(ctx, http.MethodHead, "/v2/"+s.repo+"/blobs/"+emptyDigest.String(), nil, nil)
	if err != nil {
		return err
	}
	drain(resp)
	if resp.StatusCode != http.StatusOK {
		resp, err = s.do(ctx, http.MethodPost, "/v2/"+s.repo+"/blobs/uploads/", nil, nil)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusAccepted {
			return unexpected("upload start", resp)
		}
		drain(resp)
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			return fmt.Errorf("push record upload location: %w", err)
		}
		q := loc.Query()
		q.Set("digest", emptyDigest.String())
		resp, err = s.do(ctx, http.MethodPut, loc.Path+"?"+q.Encode(), emptyJSON, map[string]string{"Content-Type": "application/octet-stream"})
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusCreated {
			return unexpected("upload", resp)
		}
		drain(resp)
	}
	s.emptyBlob.Store(true)
	return nil
}

// Put writes r (replacing any record of the same repository and tag).
func (s *Store) Put(ctx context.Context, r Record) error {
	if err := s.ensureEmptyBlob(ctx); err != nil {
		return err
	}
	b, err := r.encode()
	if err != nil {
		return err
	}
	tag := TagFor(r.Repository, r.Tag)
	resp, err := s.do(ctx, http.MethodPut, "/v2/"+s.repo+"/manifests/"+tag, b, map[string]string{"Content-Type": mediaTypeManifest})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusNotFound {
			s.emptyBlob.Store(false) // e.g. the blob was garbage-collected
		}
		return unexpected("put", resp)
	}
	drain(resp)
	r.ManifestDigest = digest.FromBytes(b)
	s.mu.Lock()
	s.cache[tag] = cachedRecord{r, time.Now()}
	s.mu.Unlock()
	return nil
}

// Get returns the record of (repository, tag); errdefs.ErrNotFound if none.
func (s *Store) Get(ctx context.Context, repository, tag string) (Record, error) {
	key := TagFor(repository, tag)
	s.mu.RLock()
	c, ok := s.cache[key]
	s.mu.RUnlock()
	if ok && time.Since(c.fetched) < s.ttl {
		return c.rec, nil
	}
	r, err := s.get(ctx, key)
	if err != nil {
		return Record{}, err
	}
	if r.Repository != repository || r.Tag != tag {
		return Record{}, fmt.Errorf("push record %s names %s:%s: %w", key, r.Repository, r.Tag, errdefs.ErrNotFound)
	}
	s.mu.Lock()
	if len(s.cache) > 100000 {
		s.cache = map[string]cachedRecord{}
	}
	s.cache[key] = cachedRecord{r, time.Now()}
	s.mu.Unlock()
	return r, nil
}

func (s *Store) get(ctx context.Context, metaTag string) (Record, error) {
	resp, err := s.do(ctx, http.MethodGet, "/v2/"+s.repo+"/manifests/"+metaTag, nil, map[string]string{"Accept": mediaTypeManifest})
	if err != nil {
		return Record{}, err
	}
	if resp.StatusCode == http.StatusNotFound {
		drain(resp)
		return Record{}, fmt.Errorf("push record %s: %w", metaTag, errdefs.ErrNotFound)
	}
	if resp.StatusCode != http.StatusOK {
		return Record{}, unexpected("get", resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if err != nil {
		return Record{}, err
	}
	r, err := decode(b)
	if err != nil {
		return Record{}, err
	}
	r.ManifestDigest = digest.FromBytes(b)
	return r, nil
}

// Forget drops a cached record (after the proxy learns it changed).
func (s *Store) Forget(repository, tag string) {
	s.mu.Lock()
	delete(s.cache, TagFor(repository, tag))
	s.mu.Unlock()
}

// List yields every record, following the tag listing's pages.
func (s *Store) List(ctx context.Context) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		path := "/v2/" + s.repo + "/tags/list?n=1000"
		for path != "" {
			resp, err := s.do(ctx, http.MethodGet, path, nil, nil)
			if err != nil {
				yield(Record{}, err)
				return
			}
			if resp.StatusCode == http.StatusNotFound {
				drain(resp)
				return // no records yet
			}
			if resp.StatusCode != http.StatusOK {
				yield(Record{}, unexpected("list", resp))
				return
			}
			var tl struct {
				Tags []string `json:"tags"`
			}
			err = json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&tl)
			_ = resp.Body.Close()
			if err != nil {
				yield(Record{}, fmt.Errorf("push record list: %w", err))
				return
			}
			path = nextLink(resp.Header.Get("Link"))
			for _, t := range tl.Tags {
				if !strings.HasPrefix(t, "r-") {
					continue
				}
				r, err := s.get(ctx, t)
				if errdefs.IsNotFound(err) {
					continue // deleted meanwhile (another replica's sweep)
				}
				if err == nil && TagFor(r.Repository, r.Tag) != t {
					continue // not written by a proxy: its tag does not match its contents
				}
				if !yield(r, err) {
					return
				}
			}
		}
	}
}

// Delete removes the record r was read as (by its manifest digest, so a
// record rewritten meanwhile survives). A missing record is not an error,
// nor is a failed DELETE after which the record is gone (another sweeper).
func (s *Store) Delete(ctx context.Context, r Record) error {
	path := "/v2/" + s.repo + "/manifests/" + r.ManifestDigest.String()
	resp, err := s.do(ctx, http.MethodDelete, path, nil, nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusNotFound {
		failed := unexpected("delete", resp)
		check, err := s.do(ctx, http.MethodHead, path, nil, map[string]string{"Accept": mediaTypeManifest})
		if err != nil {
			return failed
		}
		drain(check)
		if check.StatusCode != http.StatusNotFound {
			return failed
		}
	} else {
		drain(resp)
	}
	s.Forget(r.Repository, r.Tag)
	return nil
}

// nextLink extracts the path of a Link: <...>; rel="next" header.
func nextLink(h string) string {
	if h == "" {
		return ""
	}
	start, end := strings.IndexByte(h, '<'), strings.IndexByte(h, '>')
	if start < 0 || end < start || !strings.Contains(h[end:], `rel="next"`) {
		return ""
	}
	u, err := url.Parse(h[start+1 : end])
	if err != nil {
		return ""
	}
	if u.RawQuery != "" {
		return u.Path + "?" + u.RawQuery
	}
	return u.Path
}
