package features

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/devcontainer"
)

// mapResolver resolves local Features from in-memory devcontainer-feature.json
// documents keyed by path.
type mapResolver map[string]string

func (m mapResolver) Resolve(_ context.Context, ref Ref) (*Resolved, error) {
	doc, ok := m[ref.Resource()]
	if !ok {
		return nil, fmt.Errorf("no feature %s", ref.Resource())
	}
	md, err := ParseMetadata(ref.Path+"/"+MetadataFile, []byte(doc))
	if err != nil {
		return nil, err
	}
	return &Resolved{Metadata: md, Digest: digest.FromString(doc)}, nil
}

func feature(id, extra string) string {
	return `{"id": "` + id + `", "version": "0.0.1", ` + extra + `"options": {"optA": {"type": "string", "default": "0"}, "optB": {"type": "string", "default": "0"}, "magicNumber": {"type": "string", "default": "0"}}}`
}

func entries(t *testing.T, src string) []devcontainer.FeatureEntry {
	c, err := devcontainer.Parse("devcontainer.json", []byte(`{"image": "x", "features": `+src+`}`))
	require.NoError(t, err)
	return c.Features
}

// describe renders an install order as "./b{optA=a,optB=b}".
func describe(fs []*Feature) []string {
	var out []string
	for _, f := range fs {
		var kv []string
		for _, o := range f.Options {
			var s string
			_ = json.Unmarshal(o.Value, &s)
			kv = append(kv, o.Name+"="+s)
		}
		out = append(out, f.Ref.UserID+"{"+strings.Join(kv, ",")+"}")
	}
	return out
}

// The expectations are the reference CLI's (containerFeaturesOrder.test.ts,
// reproduced with `devcontainer features resolve-dependencies`).
func TestOrderFixtures(t *testing.T) {
	for _, tc := range []struct {
		name     string
		features map[string]string
		user     string
		override []string
		want     []string
		cycle    bool
	}{
		{
			name: "dependsOn/local-with-options",
			features: map[string]string{
				"a": feature("a", `"dependsOn": {"./b": {"optA": "a", "optB": "a"}, "./c": {}},`),
				"b": feature("b", ``),
				"c": feature("c", `"dependsOn": {"./b": {"optA": "b", "optB": "a"}, "./d": {}, "./e": {}},`),
				"d": feature("d", `"dependsOn": {"./b": {"optA": "b", "optB": "b"}},`),
				"e": feature("e", `"dependsOn": {"./b": {}},`),
			},
			user: `{"./a": {"optA": "a", "optB": "b"}, "./b": {"optA": "a", "optB": "b"}}`,
			want: []string{"./b{}", "./b{optA=a,optB=a}", "./b{optA=a,optB=b}", "./b{optA=b,optB=a}", "./b{optA=b,optB=b}", "./d{}", "./e{}", "./c{}", "./a{optA=a,optB=b}"},
		},
		{
			name: "overrideFeatureInstallOrder/local-roundPriority",
			features: map[string]string{
				"a": feature("a", ``), "b": feature("b", `"dependsOn": {"./a": {}},`), "c": feature("c", ``),
			},
			user:     `{"./b": {}, "./c": {}}`,
			override: []string{"./a", "./b", "./c"},
			want:     []string{"./a{}", "./b{}", "./c{}"},
		},
		{
			name: "installsAfter/local-simple",
			features: map[string]string{
				"a": feature("a", `"installsAfter": ["./c"],`), "c": feature("c", ``),
			},
			user: `{"./a": {}, "./c": {"magicNumber": "321"}}`,
			want: []string{"./c{magicNumber=321}", "./a{}"},
		},
		{
			name: "dependsOn/local-simple",
			features: map[string]string{
				"a": feature("a", `"dependsOn": {"./b": {"magicNumber": "50"}},`), "b": feature("b", ``),
			},
			user: `{"./a": {}}`,
			want: []string{"./b{magicNumber=50}", "./a{}"},
		},
		{
			name:     "overrideFeatureInstallOrder/local-simple",
			features: intermediate(),
			user:     `{"./a": {}}`,
			override: []string{"./c"},
			want:     []string{"./c{}", "./b{}", "./d{}", "./a{}"},
		},
		{
			name:     "overrideFeatureInstallOrder/local-intermediate",
			features: intermediate(),
			user:     `{"./a": {}}`,
			override: []string{"./c", "./d"},
			want:     []string{"./c{}", "./d{}", "./b{}", "./a{}"},
		},
		{
			name: "installsAfter/invalid-circular",
			features: map[string]string{
				"a": feature("a", `"installsAfter": ["./b"],`), "b": feature("b", `"installsAfter": ["./c"],`), "c": feature("c", `"installsAfter": ["./a"],`),
			},
			user:  `{"./a": {}, "./b": {}, "./c": {}}`,
			cycle: true,
		},
		{
			name: "dependsOn/invalid-circular",
			features: map[string]string{
				"a": feature("a", `"dependsOn": {"./b": {}},`), "b": feature("b", `"dependsOn": {"./c": {}},`), "c": feature("c", `"dependsOn": {"./a": {}},`),
			},
			user:  `{"./a": {}}`,
			cycle: true,
		},
		{
			name: "installsAfter on an absent Feature is dropped",
			features: map[string]string{
				"a": feature("a", `"installsAfter": ["ghcr.io/devcontainers/features/common-utils"],`),
			},
			user: `{"./a": {}}`,
			want: []string{"./a{}"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Order(context.Background(), mapResolver(tc.features), entries(t, tc.user), OrderOpt{Override: tc.override})
			if tc.cycle {
				require.ErrorIs(t, err, ErrCycle)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, describe(got))
		})
	}
}

func intermediate() map[string]string {
	return map[string]string{
		"a": feature("a", `"dependsOn": {"./b": {}, "./d": {}}, "installsAfter": ["./c"],`),
		"b": feature("b", `"dependsOn": {"./c": {}},`),
		"c": feature("c", ``),
		"d": feature("d", ``),
	}
}

func TestLocaleCompare(t *testing.T) {
	assert.Negative(t, localeCompare("a", "B"))
	assert.Negative(t, localeCompare("a", "A"))
	assert.Negative(t, localeCompare("1", "a"))
	assert.Negative(t, localeCompare("./b", "./c"))
	assert.Negative(t, localeCompare("1", "12"))
	assert.Zero(t, localeCompare("x", "x"))
}
