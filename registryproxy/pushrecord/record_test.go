package pushrecord

import (
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/registryproxy/route"
)

func TestRecordRoundTrip(t *testing.T) {
	r := Record{Repository: "gitpod-runner-r1/projects/p1/image-build", Tag: "abc", Digest: digest.FromString("m"), PushedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
	b, err := r.encode()
	require.NoError(t, err)
	got, err := decode(b)
	require.NoError(t, err)
	assert.Equal(t, r, got)
	_, err = decode([]byte(`{"artifactType":"other"}`))
	assert.Error(t, err)
}

func TestTagFor(t *testing.T) {
	a := TagFor("projects/p1/image-build", "x")
	require.NoError(t, route.ValidateTag(a), "record tags are valid OCI tags")
	assert.NotEqual(t, a, TagFor("projects/p1/image-buil", "dx"), "repository and tag are separated")
	assert.NotEqual(t, a, TagFor("projects/p1/prebuild", "x"))
}

func TestNextLink(t *testing.T) {
	assert.Equal(t, "/v2/m/tags/list?last=r-1&n=2", nextLink(`</v2/m/tags/list?last=r-1&n=2>; rel="next"`))
	assert.Empty(t, nextLink(""))
	assert.Empty(t, nextLink(`</v2/x>; rel="prev"`))
}
