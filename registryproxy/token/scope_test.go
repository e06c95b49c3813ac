package token

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseScope(t *testing.T) {
	for in, want := range map[string]Access{
		"repository:projects/p1/image-build:pull,push": {TypeRepository, "projects/p1/image-build", []string{"pull", "push"}},
		"repository:localhost:5000/projects/p1/x:pull": {TypeRepository, "localhost:5000/projects/p1/x", []string{"pull"}},
		"repository(plugin):a/b:pull":                  {TypeRepository, "a/b", []string{"pull"}},
		"registry:catalog:*":                           {"registry", "catalog", []string{"*"}},
		"repository:a:pull,pull,,push":                 {TypeRepository, "a", []string{"pull", "push"}},
		"repository:a:":                                {TypeRepository, "a", []string{}},
	} {
		got, err := ParseScope(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "repository", "repository:a", "repository::pull", "Repository:a:pull",
		"repository:a:PULL", "repository(:a:pull", "repository(x:a:pull", "repository:a b:pull", "repository:a:pu-ll",
		strings.Repeat("a", 2000)} {
		_, err := ParseScope(in)
		assert.Error(t, err, in)
	}
}

func TestParseScopesSpaceSeparated(t *testing.T) {
	got := ParseScopes([]string{"repository:a:pull repository:b:push", "bogus", "repository:c:pull"})
	require.Len(t, got, 3)
	assert.Equal(t, "b", got[1].Name)
	assert.Equal(t, "c", got[2].Name)
}

func TestIntersect(t *testing.T) {
	allowed := []Access{
		{TypeRepository, "projects/p1/image-build", []string{"pull", "push"}},
		{TypeRepository, "projects/p1/prebuild", []string{"pull"}},
	}
	req := ParseScopes([]string{
		"repository:projects/p1/image-build:pull,push,delete",
		"repository:projects/p1/prebuild:pull,push",
		"repository:projects/p2/image-build:pull",
		"repository:projects/p1/image-build/../../p2/image-build:pull",
		"registry:catalog:*",
		"repository:projects/p1/prebuild:*",
	})
	got := Intersect(req, allowed)
	assert.Equal(t, []Access{
		{TypeRepository, "projects/p1/image-build", []string{"pull", "push"}},
		{TypeRepository, "projects/p1/prebuild", []string{"pull"}},
	}, got)
	assert.Empty(t, Intersect(ParseScopes([]string{"repository:projects/p2/image-build:pull"}), allowed))
}

// FuzzParseScope checks that an accepted scope renders back to a scope
// that parses to the same access, and that names never carry separators.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{
		"repository:projects/p1/image-build:pull,push", "repository:localhost:5000/a:pull",
		"repository(plugin):a/b:pull", "registry:catalog:*", "repository:a:", "repository::pull",
		"repository:a:pull,,push", "repository(x:a:pull", "a:b:c:d:e",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseScope(s)
		if err != nil {
			return
		}
		if a.Name == "" || strings.ContainsAny(a.Name, " ,\"") || a.Type == "" {
			t.Fatalf("accepted malformed scope %q -> %+v", s, a)
		}
		for _, act := range a.Actions {
			if act == "" || strings.ContainsAny(act, ":, ") {
				t.Fatalf("bad action %q in %q", act, s)
			}
		}
		again, err := ParseScope(a.String())
		if err != nil {
			t.Fatalf("re-parse of %q (from %q): %v", a.String(), s, err)
		}
		if again.Type != a.Type || again.Name != a.Name || strings.Join(again.Actions, ",") != strings.Join(a.Actions, ",") {
			t.Fatalf("round trip differs: %+v vs %+v", again, a)
		}
		// Intersection with itself is the identity (minus empty scopes).
		if len(a.Actions) > 0 {
			got := Intersect([]Access{a}, []Access{a})
			if len(got) != 1 || got[0].Name != a.Name {
				t.Fatalf("self intersection of %+v = %+v", a, got)
			}
		}
	})
}
