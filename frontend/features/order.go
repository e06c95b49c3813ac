package features

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/frontend/devcontainer"
)

// ErrCycle is returned (wrapped) when no installation order exists.
var ErrCycle = fmt.Errorf("no viable installation order (circular dependsOn/installsAfter): %w", errdefs.ErrFailedPrecondition)

// node is a vertex of the dependency graph, as in the reference CLI's FNode.
type node struct {
	f             *Feature
	dependsOn     []*node
	installsAfter []*node
	priority      int
	aliases       []string
}

// OrderOpt configures Order.
type OrderOpt struct {
	// Override is devcontainer.json's overrideFeatureInstallOrder.
	Override []string
	// Subst substitutes variables in option strings (nil: none).
	Subst func(string) string
	// Source, when set, locates the errors of the user's Features at their
	// entries in devcontainer.json.
	Source *devcontainer.Source
}

// Order resolves the user's Features and everything they depend on and
// returns the installs in the reference CLI's order: dependsOn is hard and
// recursive, installsAfter soft and not recursive, overrideFeatureInstallOrder
// raises round priorities, and each round is committed in "round stable
// sort" order. A cycle is ErrCycle.
func Order(ctx context.Context, r Resolver, user []devcontainer.FeatureEntry, opt OrderOpt) ([]*Feature, error) {
	var queue, worklist []*node
	newNode := func(id string, value json.RawMessage) (*node, error) {
		ref, err := ParseRef(id)
		if err != nil {
			return nil, err
		}
		opts, short, err := ParseOptions(value, opt.Subst)
		if err != nil {
			return nil, err
		}
		res, err := r.Resolve(ctx, ref)
		if err != nil {
			return nil, err
		}
		n := &node{f: &Feature{Ref: ref, Options: opts, Shorthand: short, Resolved: res}}
		n.aliases = append([]string{res.Metadata.ID}, res.Metadata.LegacyIDs...)
		return n, nil
	}
	for _, e := range user {
		n, err := newNode(e.ID, e.Value)
		if err != nil {
			if opt.Source != nil { // the entry names the Feature
				return nil, opt.Source.WrapAt(err, "features", e.ID)
			}
			return nil, fmt.Errorf("feature %q: %w", e.ID, err)
		}
		queue = append(queue, n)
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if slices.ContainsFunc(worklist, func(w *node) bool { return equals(w, cur) }) {
			continue
		}
		for _, d := range cur.f.Metadata.DependsOn {
			dn, err := newNode(d.Name, d.Value)
			if err != nil {
				return nil, fmt.Errorf("dependsOn of %q: feature %q: %w", cur.f.Ref.UserID, d.Name, err)
			}
			cur.dependsOn = append(cur.dependsOn, dn)
			queue = append(queue, dn)
		}
		for _, id := range cur.f.Metadata.InstallsAfter {
			// Soft dependencies are matched by resource only, so they are
			// parsed but not fetched (the CLI fetches them; see docs).
			ref, err := ParseRef(id)
			if err != nil {
				return nil, fmt.Errorf("installsAfter of %q: %w", cur.f.Ref.UserID, err)
			}
			cur.installsAfter = append(cur.installsAfter, &node{f: &Feature{Ref: ref}})
		}
		worklist = append(worklist, cur)
	}

	// overrideFeatureInstallOrder: item i of n gets priority n-i.
	for i := len(opt.Override) - 1; i >= 0; i-- {
		ref, err := ParseRef(opt.Override[i])
		if err != nil {
			return nil, fmt.Errorf("overrideFeatureInstallOrder: %w", err)
		}
		o := &node{f: &Feature{Ref: ref}}
		for _, n := range worklist {
			if satisfiesSoft(n, o) {
				n.priority = max(n.priority, len(opt.Override)-i)
			}
		}
	}
	// Drop soft dependencies on Features that are not installed.
	for _, n := range worklist {
		n.installsAfter = slices.DeleteFunc(n.installsAfter, func(s *node) bool {
			return !slices.ContainsFunc(worklist, func(w *node) bool { return satisfiesSoft(w, s) })
		})
	}

	var installed []*node
	for len(worklist) > 0 {
		var round []*node
		for _, n := range worklist {
			ok := true
			for _, d := range n.dependsOn {
				ok = ok && slices.ContainsFunc(installed, func(i *node) bool { return equals(i, d) })
			}
			for _, s := range n.installsAfter {
				ok = ok && slices.ContainsFunc(installed, func(i *node) bool { return satisfiesSoft(i, s) })
			}
			if ok {
				round = append(round, n)
			}
		}
		if len(round) == 0 {
			var names []string
			for _, n := range worklist {
				names = append(names, n.f.Ref.UserID)
			}
			return nil, fmt.Errorf("%w: remaining %s", ErrCycle, strings.Join(names, ", "))
		}
		maxp := round[0].priority
		for _, n := range round {
			maxp = max(maxp, n.priority)
		}
		round = slices.DeleteFunc(round, func(n *node) bool { return n.priority != maxp })
		worklist = slices.DeleteFunc(worklist, func(w *node) bool {
			return slices.ContainsFunc(round, func(r *node) bool { return equals(r, w) })
		})
		sort.SliceStable(round, func(i, j int) bool { return compare(round[i], round[j]) < 0 })
		installed = append(installed, round...)
	}
	out := make([]*Feature, len(installed))
	for i, n := range installed {
		out[i] = n.f
	}
	return out, nil
}

func equals(a, b *node) bool {
	return a.f.Ref.Type == b.f.Ref.Type && compare(a, b) == 0
}

// satisfiesSoft reports whether the installed node n satisfies the soft
// dependency (or override entry) s.
func satisfiesSoft(n, s *node) bool {
	a, b := n.f.Ref, s.f.Ref
	if a.Type != b.Type {
		return false
	}
	switch a.Type {
	case OCI:
		if a.Resource() == b.Resource() {
			return true
		}
		for _, alias := range n.aliases {
			if a.Namespace()+"/"+alias == b.Resource() {
				return true
			}
		}
		return false
	case Local:
		return a.Path == b.Path
	}
	return a.URL == b.URL
}

// compare is the reference CLI's compareTo: the "round stable sort".
func compare(x, y *node) int {
	a, b := x.f.Ref, y.f.Ref
	if a.Type != b.Type {
		return localeCompare(a.UserID, b.UserID)
	}
	switch a.Type {
	case OCI:
		if x.f.Digest == y.f.Digest && compareOptions(x.f, y.f) == 0 {
			return 0
		}
		if c := compareOCIName(x, y); c != 0 {
			return c
		}
		if a.Tag != "" && b.Tag != "" && a.Tag != b.Tag {
			return localeCompare(a.Tag, b.Tag)
		}
		if c := compareOptions(x.f, y.f); c != 0 {
			return c
		}
		if x.f.Digest != y.f.Digest {
			return localeCompare(x.f.Digest.String(), y.f.Digest.String())
		}
		return 0
	case Local:
		if c := localeCompare(a.Path, b.Path); c != 0 {
			return c
		}
	default:
		if c := localeCompare(a.URL, b.URL); c != 0 {
			return c
		}
	}
	return compareOptions(x.f, y.f)
}

func compareOCIName(x, y *node) int {
	a, b := x.f.Ref, y.f.Ref
	if a.Namespace() != b.Namespace() {
		return localeCompare(a.Namespace(), b.Namespace())
	}
	for _, s := range x.aliases {
		if slices.Contains(y.aliases, s) {
			return 0
		}
	}
	return localeCompare(a.ID, b.ID)
}

// optionValue is a decoded option value: string, bool, or other JSON.
func optionValue(raw json.RawMessage) any {
	var v any
	_ = json.Unmarshal(raw, &v)
	return v
}

// compareOptions is the CLI's options comparison: shorthands compare by
// value, objects by key count, then sorted keys, then values.
func compareOptions(x, y *Feature) int {
	if x.Shorthand != nil || y.Shorthand != nil {
		as, aok := x.Shorthand.(string)
		bs, bok := y.Shorthand.(string)
		if aok && bok {
			return localeCompare(as, bs)
		}
		ab, aok := x.Shorthand.(bool)
		bb, bok := y.Shorthand.(bool)
		if aok && bok {
			return compareBool(ab, bb)
		}
		return localeCompare(typeofOpts(x), typeofOpts(y))
	}
	if len(x.Options) != len(y.Options) {
		return sign(len(x.Options) - len(y.Options))
	}
	ak, bk := sortedKeys(x.Options), sortedKeys(y.Options)
	for i := range ak {
		if ak[i].Name != bk[i].Name {
			return localeCompare(ak[i].Name, bk[i].Name)
		}
		av, bv := optionValue(ak[i].Value), optionValue(bk[i].Value)
		if as, ok := av.(string); ok {
			if bs, ok := bv.(string); ok {
				if c := localeCompare(as, bs); c != 0 {
					return c
				}
			}
		}
		if ab, ok := av.(bool); ok {
			if bb, ok := bv.(bool); ok {
				if c := compareBool(ab, bb); c != 0 {
					return c
				}
			}
		}
	}
	return 0
}

func typeofOpts(f *Feature) string {
	switch f.Shorthand.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return "object"
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func sortedKeys(o Options) Options {
	s := slices.Clone(o)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Name < s[j].Name })
	return s
}
