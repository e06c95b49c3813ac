package imagecache

import (
	"context"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/cachekey"
)

type tagRegistry struct {
	fakeRegistry
	tags []string
}

func (r *tagRegistry) Tags(context.Context, string, *HostCredentials) ([]string, error) {
	return r.tags, nil
}

func TestCacheSourcesPicksNearestThenRecent(t *testing.T) {
	base := cachekey.Inputs{DevcontainerJSON: []byte(`{"image":"x"}`), ImageDigest: digest.FromString("img"),
		Features: []cachekey.Feature{{ID: "./a", Digest: digest.FromString("a")}, {ID: "./b", Digest: digest.FromString("b")}}}
	variant := func(mut func(*cachekey.Inputs)) cachekey.Inputs {
		in := base
		in.Features = append([]cachekey.Feature(nil), base.Features...)
		mut(&in)
		return in
	}
	near := variant(func(in *cachekey.Inputs) { in.DevcontainerJSON = []byte(`{"image":"x","postCreateCommand":"a"}`) })
	far := variant(func(in *cachekey.Inputs) {
		in.DevcontainerJSON = []byte(`{}`)
		in.Features[0].Digest = digest.FromString("a2")
	})
	newest := variant(func(in *cachekey.Inputs) {
		in.ImageDigest = digest.FromString("img2")
		in.Features[1].Digest = digest.FromString("b2")
	})
	noCache := variant(func(in *cachekey.Inputs) {})

	reg := &tagRegistry{fakeRegistry: fakeRegistry{images: map[string]*CachedImage{}}}
	now := time.Now()
	add := func(in cachekey.Inputs, age time.Duration, withCache bool) string {
		tag := in.Key().Encoded()
		ref := "proxy:5000/projects/p1/image-build:" + tag
		reg.images[ref] = &CachedImage{Ref: ref, Labels: in.Labels(), Created: now.Add(-age)}
		reg.tags = append(reg.tags, tag)
		if withCache {
			reg.tags = append(reg.tags, tag+CacheTagSuffix)
		}
		return ref
	}
	nearRef := add(near, 3*time.Hour, true)
	farRef := add(far, 2*time.Hour, true)
	newestRef := add(newest, time.Hour, true)
	add(noCache, 0, false) // no cache manifest: never a source

	c := &Cache{Registry: reg, ProxyHost: "proxy:5000"}
	got := c.cacheSources(context.Background(), "p1", &base, nil)
	require.Len(t, got, 3)
	assert.Equal(t, CacheSource{Image: nearRef, Cache: nearRef + CacheTagSuffix, Why: "nearest", Differs: []string{"devcontainer.json"}}, got[0])
	assert.Equal(t, newestRef, got[1].Image, "then the most recent")
	assert.Equal(t, "recent", got[1].Why)
	assert.Equal(t, farRef, got[2].Image)
}

func TestCacheSourcesNoneWithoutCandidates(t *testing.T) {
	c := &Cache{Registry: &tagRegistry{tags: []string{"x", "y-cache"}}, ProxyHost: "proxy:5000"}
	assert.Empty(t, c.cacheSources(context.Background(), "p1", &cachekey.Inputs{}, nil))
}
