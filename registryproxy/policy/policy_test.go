package policy

import (
	"net/http"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/errcode"
	"github.com/devcache/devcache/registryproxy/route"
	"github.com/devcache/devcache/registryproxy/token"
)

func TestParseRepository(t *testing.T) {
	r, ok := ParseRepository("projects/p-1/image-build")
	require.True(t, ok)
	assert.Equal(t, Repository{"p-1", contract.KindImageBuild}, r)
	assert.Equal(t, "projects/p-1/image-build", r.Name())
	for _, n := range []string{"projects/p1", "projects/p1/other", "projects/p1/image-build/x", "project/p1/prebuild", "projects//prebuild", "x/projects/p1/prebuild"} {
		_, ok := ParseRepository(n)
		assert.False(t, ok, n)
	}
}

func TestNamer(t *testing.T) {
	n, err := NewNamer("gitpod-runner-{runner}/projects/{project}/{repository}", "r1")
	require.NoError(t, err)
	assert.Equal(t, "gitpod-runner-r1/projects/p1/prebuild", n.Backend(Repository{"p1", contract.KindPrebuild}))
	d, err := NewNamer("", "")
	require.NoError(t, err)
	assert.Equal(t, "projects/p1/image-build", d.Backend(Repository{"p1", contract.KindImageBuild}))
	for _, tmpl := range []string{"projects/{project}", "x/{repository}", "UPPER/{project}/{repository}", "{runner}/{project}/{repository}"} {
		_, err := NewNamer(tmpl, "")
		assert.Error(t, err, tmpl)
	}
}

func TestGrants(t *testing.T) {
	c := Grants("p1", contract.PurposeCreate)
	require.Len(t, c, 2)
	assert.Equal(t, []string{"pull", "push"}, c[0].Actions)
	for _, p := range []contract.Purpose{contract.PurposeRebuild, contract.PurposeRefresh} {
		for _, g := range Grants("p1", p) {
			assert.Equal(t, []string{"pull"}, g.Actions, p)
		}
	}
}

func claims(project string, acc ...token.Access) *token.AccessClaims {
	return &token.AccessClaims{Project: project, Access: acc}
}

func mustRoute(t *testing.T, method, path, query string) route.Route {
	r, err := route.ParsePath(method, path, query)
	require.NoError(t, err)
	return r
}

func TestAuthorize(t *testing.T) {
	pullPush := claims("p1", Grants("p1", contract.PurposeCreate)...)
	pullOnly := claims("p1", Grants("p1", contract.PurposeRebuild)...)
	dg := "sha256:" + digest.FromString("x").Encoded()
	for _, tc := range []struct {
		name   string
		c      *token.AccessClaims
		method string
		path   string
		ok     bool
		scope  string
		unsupp bool
	}{
		{"base without token", nil, "GET", "/v2/", false, "", false},
		{"base with token", pullOnly, "GET", "/v2/", true, "", false},
		{"pull own", pullOnly, "GET", "/v2/projects/p1/image-build/manifests/t", true, "", false},
		{"push with pull-only", pullOnly, "PUT", "/v2/projects/p1/image-build/manifests/t", false, "repository:projects/p1/image-build:pull,push", false},
		{"push own", pullPush, "PATCH", "/v2/projects/p1/prebuild/blobs/uploads/x", true, "", false},
		{"upload status needs push", pullOnly, "GET", "/v2/projects/p1/prebuild/blobs/uploads/x", false, "repository:projects/p1/prebuild:pull,push", false},
		{"other project", pullPush, "GET", "/v2/projects/p2/image-build/manifests/t", false, "repository:projects/p2/image-build:pull", false},
		{"outside namespace", pullPush, "GET", "/v2/library/busybox/manifests/t", false, "repository:library/busybox:pull", false},
		{"delete manifest", pullPush, "DELETE", "/v2/projects/p1/image-build/manifests/t", false, "", true},
		{"delete blob", pullPush, "DELETE", "/v2/projects/p1/image-build/blobs/" + dg, false, "", true},
		{"delete other project", pullPush, "DELETE", "/v2/projects/p2/image-build/manifests/t", false, "repository:projects/p2/image-build:pull", false},
		{"cancel own upload", pullPush, "DELETE", "/v2/projects/p1/image-build/blobs/uploads/x", true, "", false},
		{"no token", nil, "GET", "/v2/projects/p1/image-build/tags/list", false, "repository:projects/p1/image-build:pull", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Authorize(tc.c, mustRoute(t, tc.method, tc.path, ""))
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			if tc.unsupp {
				var e *errcode.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, http.StatusMethodNotAllowed, e.Code.Status)
				return
			}
			var d *Denial
			require.ErrorAs(t, err, &d)
			assert.Equal(t, tc.scope, d.Scope)
		})
	}
}

func TestMountAllowed(t *testing.T) {
	c := claims("p1", Grants("p1", contract.PurposeCreate)...)
	assert.True(t, MountAllowed(c, "projects/p1/prebuild", "projects/p1/image-build"))
	assert.False(t, MountAllowed(c, "projects/p1/prebuild", "projects/p2/image-build"))
	// Even a token that (somehow) carried pull on another project may not mount across projects.
	c2 := claims("p1", append(Grants("p1", contract.PurposeCreate), token.Access{Type: "repository", Name: "projects/p2/image-build", Actions: []string{"pull"}})...)
	assert.False(t, MountAllowed(c2, "projects/p1/prebuild", "projects/p2/image-build"))
	assert.False(t, MountAllowed(c, "projects/p1/prebuild", "library/x"))
}

func TestExpiredAndTagDecisions(t *testing.T) {
	now := time.Now()
	assert.True(t, Expired(time.Time{}, now, time.Hour), "no record counts as expired")
	assert.False(t, Expired(now.Add(-59*time.Minute), now, time.Hour))
	assert.True(t, Expired(now.Add(-time.Hour), now, time.Hour))
	a, b := digest.FromString("a"), digest.FromString("b")
	assert.Equal(t, TagCreate, DecideTagPut("", a, false))
	assert.Equal(t, TagUnchanged, DecideTagPut(a, a, true))
	assert.Equal(t, TagRefuse, DecideTagPut(a, b, true))
	assert.Equal(t, TagCreate, DecideTagPut(a, b, false), "an expired tag may be replaced")
	assert.Equal(t, TagCreate, DecideTagPut(a, a, false), "re-pushing an expired image renews it")
}
