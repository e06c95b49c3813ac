// Package gc sweeps expired images from the backend. It reads every push
// record of this runner, and for each expired one deletes the tag, the
// manifest (unless a live tag of the same repository points at it, or a
// live index references it) and the record. Records naming a repository
// outside this runner's layout are never acted on. Every step is idempotent
// and checks what it deletes, so several replicas may sweep at once.
package gc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/registryproxy/policy"
	"github.com/devcache/devcache/registryproxy/pushrecord"
)

// Report counts what a sweep did.
type Report struct {
	Records int `json:"records"`
	Expired int `json:"expired"`
	Deleted int `json:"deleted"`
	Skipped int `json:"skipped"`
}

// Sweep deletes the images that are past their repository kind's expiry at now.
// Only repositories namer renders are touched.
func Sweep(ctx context.Context, store *pushrecord.Store, rt http.RoundTripper, namer *policy.Namer, expiry policy.Expiry, now time.Time) (Report, error) {
	var rep Report
	var all, expired []pushrecord.Record
	for r, err := range store.List(ctx) {
		if err != nil {
			return rep, err
		}
		rep.Records++
		if _, ok := namer.Parse(r.Repository); !ok {
			rep.Skipped++
			log.G(ctx).Warn("push record names a repository outside this runner's layout; ignored", "repository", r.Repository, "tag", r.Tag)
			continue
		}
		all = append(all, r)
		if policy.Expired(r.PushedAt, now, expiry.For(r.Repository)) {
			expired = append(expired, r)
		}
	}
	if len(expired) == 0 {
		return rep, nil
	}
	live, err := liveManifests(ctx, rt, all, expiry, now)
	if err != nil {
		return rep, err
	}
	for _, r := range expired {
		rep.Expired++
		current, err := call(ctx, rt, http.MethodHead, "/v2/"+r.Repository+"/manifests/"+r.Tag)
		if err != nil {
			return rep, err
		}
		if current != "" && current != r.Digest {
			rep.Skipped++ // re-pushed meanwhile; its new record decides
			continue
		}
		if current != "" {
			if err := remove(ctx, rt, "/v2/"+r.Repository+"/manifests/"+r.Tag); err != nil {
				return rep, err
			}
			if !live[r.Repository][r.Digest] {
				if err := remove(ctx, rt, "/v2/"+r.Repository+"/manifests/"+r.Digest.String()); err != nil {
					return rep, err
				}
			}
		}
		if err := store.Delete(ctx, r); err != nil {
			return rep, err
		}
		rep.Deleted++
		log.G(ctx).Info("expired image deleted", "repository", r.Repository, "tag", r.Tag, "digest", r.Digest, "pushed_at", r.PushedAt)
	}
	return rep, nil
}

// liveManifests is, per repository, every manifest digest a live record
// points at, and every manifest a live index among them references.
func liveManifests(ctx context.Context, rt http.RoundTripper, all []pushrecord.Record, expiry policy.Expiry, now time.Time) (map[string]map[digest.Digest]bool, error) {
	live := map[string]map[digest.Digest]bool{}
	for _, r := range all {
		if policy.Expired(r.PushedAt, now, expiry.For(r.Repository)) {
			continue
		}
		if live[r.Repository] == nil {
			live[r.Repository] = map[digest.Digest]bool{}
		}
		live[r.Repository][r.Digest] = true
		children, err := indexChildren(ctx, rt, "/v2/"+r.Repository+"/manifests/"+r.Digest.String())
		if err != nil {
			return nil, err
		}
		for _, c := range children {
			live[r.Repository][c] = true
		}
	}
	return live, nil
}

// indexChildren returns the manifests an index (or manifest list) at path
// references; nothing for an image manifest or a missing one.
func indexChildren(ctx context.Context, rt http.RoundTripper, path string) ([]digest.Digest, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", manifestAccept)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("gc GET %s: %w: %w", path, err, errdefs.ErrUnavailable)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("gc GET %s: backend answered %s: %w", path, resp.Status, errdefs.ErrUnavailable)
	}
	var m struct {
		Manifests []struct {
			Digest digest.Digest `json:"digest"`
		} `json:"manifests"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&m); err != nil {
		return nil, fmt.Errorf("gc GET %s: %w", path, err)
	}
	out := make([]digest.Digest, 0, len(m.Manifests))
	for _, c := range m.Manifests {
		out = append(out, c.Digest)
	}
	return out, nil
}

const manifestAccept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " +
	"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"

// remove deletes path. When the DELETE fails (a concurrent sweeper may
// have raced it in the backend), it succeeds if the object is gone, and
// otherwise retries once.
func remove(ctx context.Context, rt http.RoundTripper, path string) error {
	var err error
	for attempt := range 2 {
		if _, err = call(ctx, rt, http.MethodDelete, path); err == nil {
			return nil
		}
		if d, herr := call(ctx, rt, http.MethodHead, path); herr == nil && d == "" {
			return nil // already gone
		}
		if attempt == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return err
}

// call sends one request; for HEAD it returns the digest ("" on 404).
// 404 on DELETE is success: another sweeper got there first.
func call(ctx context.Context, rt http.RoundTripper, method, path string) (digest.Digest, error) {
	req, err := http.NewRequestWithContext(ctx, method, path, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", manifestAccept)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return "", fmt.Errorf("gc %s %s: %w: %w", method, path, err, errdefs.ErrUnavailable)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", nil
	case method == http.MethodHead && resp.StatusCode == http.StatusOK:
		return digest.Digest(resp.Header.Get("Docker-Content-Digest")), nil
	case method == http.MethodDelete && resp.StatusCode == http.StatusAccepted:
		return "", nil
	}
	return "", fmt.Errorf("gc %s %s: backend answered %s: %w", method, path, resp.Status, errdefs.ErrUnavailable)
}
