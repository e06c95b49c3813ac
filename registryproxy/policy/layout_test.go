package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
)

func TestNamerParse(t *testing.T) {
	n, err := NewNamer("gitpod-runner-{runner}/projects/{project}/{repository}", "r1")
	require.NoError(t, err)
	r, ok := n.Parse("gitpod-runner-r1/projects/p-1/prebuild")
	require.True(t, ok)
	assert.Equal(t, Repository{"p-1", contract.KindPrebuild}, r)
	for _, name := range []string{"gitpod-runner-r2/projects/p1/prebuild", "gitpod-runner-r1/projects/p1/other", "gitpod-runner-r1/projects/a/b/prebuild", "devcache/r1/push-records"} {
		_, ok := n.Parse(name)
		assert.False(t, ok, name)
	}
}

func TestLayout(t *testing.T) {
	l, err := NewLayout("", "", "")
	require.NoError(t, err)
	assert.Equal(t, "devcache/push-records", l.Meta)
	l, err = NewLayout("gitpod-runner-{runner}/projects/{project}/{repository}", "", "r1")
	require.NoError(t, err)
	assert.Equal(t, "devcache/r1/push-records", l.Meta)

	for _, c := range []struct{ repo, meta, runner, want string }{
		{"", "projects/meta/image-build", "", "inside the client namespace"},
		{"x/{project}/{repository}", "x/meta/prebuild", "", "inside the client namespace"},
		{"", "", "r1", "backend.repository"},
		{"{runner}/p/{project}/{repository}", "devcache/records", "r1", "backend.meta_repository"},
		{"", "Bad Name", "", "valid repository name"},
	} {
		_, err := NewLayout(c.repo, c.meta, c.runner)
		assert.ErrorContains(t, err, c.want, c)
	}
}
