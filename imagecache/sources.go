package imagecache

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
)

// CacheTagSuffix names the write-once build-cache manifest pushed beside
// each cached image: <key>-cache.
const CacheTagSuffix = "-cache"

// Cache-source selection limits: how many cached images a miss examines,
// and how many of the most recent ones it imports besides the nearest.
const (
	maxExamined = 32
	maxRecent   = 2
)

// CacheSource is a cached image whose build cache a miss imports.
type CacheSource struct {
	// Image is the cached image; Cache its build-cache manifest.
	Image string `json:"image"`
	Cache string `json:"cache"`
	// Why it was picked: "nearest" (fewest differing key inputs) or "recent".
	Why string `json:"why"`
	// Differs lists the key inputs that differ from the build's.
	Differs []string `json:"differs,omitempty"`
}

type candidate struct {
	img     *CachedImage
	cache   string
	changes []cachekey.Change
}

// cacheSources picks, among the project's cached images that have a cache
// manifest, the one whose recorded key inputs are nearest to in and the most
// recent ones. It only ever reads the caller's own project repository, with
// the caller's credentials; any failure just means no sources.
func (c *Cache) cacheSources(ctx context.Context, project string, in *cachekey.Inputs, src *Renewing) []CacheSource {
	repo := c.ProxyHost + "/" + contract.RepositoryName(project, contract.KindImageBuild)
	creds, err := src.Current(ctx)
	if err != nil {
		log.G(ctx).Debug("no cache sources: no credential", "error", err)
		return nil
	}
	tags, err := c.Registry.Tags(ctx, repo, creds)
	if err != nil {
		log.G(ctx).Debug("no cache sources: listing tags failed", "repository", repo, "error", err)
		return nil
	}
	have := map[string]bool{}
	for _, t := range tags {
		have[t] = true
	}
	var keys []string
	for _, t := range tags {
		if !strings.HasSuffix(t, CacheTagSuffix) && have[t+CacheTagSuffix] {
			keys = append(keys, t)
		}
	}
	slices.Sort(keys)
	if len(keys) > maxExamined {
		keys = keys[len(keys)-maxExamined:]
	}

	var (
		mu    sync.Mutex
		cands []candidate
		wg    sync.WaitGroup
	)
	for _, k := range keys {
		wg.Go(func() {
			img, err := c.Registry.Lookup(ctx, repo+":"+k, creds)
			if err != nil {
				return
			}
			_, old, err := cachekey.FromLabels(img.Labels)
			if err != nil {
				return
			}
			mu.Lock()
			cands = append(cands, candidate{img: img, cache: repo + ":" + k + CacheTagSuffix, changes: cachekey.Diff(old, in.List())})
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(cands) == 0 {
		return nil
	}

	// Most recent first; ties by reference for a stable order.
	slices.SortFunc(cands, func(a, b candidate) int {
		if c := b.img.Created.Compare(a.img.Created); c != 0 {
			return c
		}
		return strings.Compare(a.img.Ref, b.img.Ref)
	})
	nearest := 0
	for i, cd := range cands {
		if len(cd.changes) < len(cands[nearest].changes) {
			nearest = i
		}
	}
	out := []CacheSource{source(cands[nearest], "nearest")}
	for i, cd := range cands {
		if len(out) > maxRecent {
			break
		}
		if i != nearest {
			out = append(out, source(cd, "recent"))
		}
	}
	return out
}

func source(cd candidate, why string) CacheSource {
	s := CacheSource{Image: cd.img.Ref, Cache: cd.cache, Why: why}
	for _, ch := range cd.changes {
		s.Differs = append(s.Differs, ch.Name)
	}
	return s
}
