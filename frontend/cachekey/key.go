package cachekey

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// SchemaVersion changes whenever the key's definition or the frontend's
// LLB template changes in a way that alters built images.
//
// 2: the target platform(s) became an input.
const SchemaVersion = "2"

// Labels written into the image.
const (
	// LabelKey carries the key.
	LabelKey = "dev.devcache.cache-key"
	// LabelInputPrefix prefixes one label per input: <prefix><name>=<value>.
	LabelInputPrefix = "dev.devcache.cache-key.input."
)

// Input names.
const (
	InputSchema       = "schema"
	InputPlatform     = "platform"
	InputDevcontainer = "devcontainer.json"
	InputDockerfile   = "dockerfile"
	InputImage        = "image"
	InputFeature      = "feature:"
)

// Feature is an installed Feature as the key sees it.
type Feature struct {
	// ID is the reference as written in devcontainer.json (or dependsOn).
	ID string
	// Digest pins its content.
	Digest digest.Digest
}

// Inputs are what the key is computed from.
type Inputs struct {
	// DevcontainerJSON is the configuration file's content.
	DevcontainerJSON []byte
	// Dockerfile is the referenced Dockerfile's content; nil for image configs.
	Dockerfile []byte
	// ImageDigest is the manifest digest of "image"; empty for Dockerfile configs.
	ImageDigest digest.Digest
	// Features in install order.
	Features []Feature
	// Platforms are the build's target platforms (all of them for a
	// multi-platform build); empty means this process's default platform.
	Platforms []ocispecs.Platform
}

// Input is one named input value.
type Input struct {
	Name, Value string
}

// List returns the canonical, ordered inputs.
func (in Inputs) List() []Input {
	l := []Input{
		{InputSchema, SchemaVersion},
		{InputPlatform, FormatPlatforms(in.Platforms)},
		{InputDevcontainer, digest.FromBytes(in.DevcontainerJSON).String()},
	}
	if in.Dockerfile != nil {
		l = append(l, Input{InputDockerfile, digest.FromBytes(in.Dockerfile).String()})
	}
	if in.ImageDigest != "" {
		l = append(l, Input{InputImage, in.ImageDigest.String()})
	}
	seen := map[string]int{}
	for _, f := range in.Features {
		name := InputFeature + f.ID
		seen[name]++
		if n := seen[name]; n > 1 {
			name += "#" + strconv.Itoa(n)
		}
		l = append(l, Input{name, f.Digest.String()})
	}
	return l
}

// Key computes the cache key.
func (in Inputs) Key() digest.Digest { return KeyOf(in.List()) }

// KeyOf computes the key of an input list (as read back from labels).
func KeyOf(l []Input) digest.Digest {
	var b strings.Builder
	for _, i := range l {
		// Names and values contain no newline; '=' separates, the
		// first '=' wins since names contain none.
		fmt.Fprintf(&b, "%s=%s\n", i.Name, i.Value)
	}
	return digest.FromString(b.String())
}

// Labels returns the key and its inputs as image labels.
func (in Inputs) Labels() map[string]string {
	l := in.List()
	out := map[string]string{LabelKey: KeyOf(l).String()}
	for i, x := range l {
		// The position keeps the order recoverable from an unordered map.
		out[LabelInputPrefix+x.Name] = fmt.Sprintf("%d %s", i, x.Value)
	}
	return out
}

// FromLabels reads a key and its inputs back from image labels. It fails
// with errdefs.ErrNotFound when the labels carry no key and
// errdefs.ErrInvalidArgument when the inputs do not add up to the key.
func FromLabels(labels map[string]string) (digest.Digest, []Input, error) {
	k, ok := labels[LabelKey]
	if !ok {
		return "", nil, fmt.Errorf("no %s label: %w", LabelKey, errdefs.ErrNotFound)
	}
	type pos struct {
		i int
		Input
	}
	var ps []pos
	for name, v := range labels {
		if !strings.HasPrefix(name, LabelInputPrefix) {
			continue
		}
		is, val, ok := strings.Cut(v, " ")
		i, err := strconv.Atoi(is)
		if !ok || err != nil {
			return "", nil, fmt.Errorf("label %s: malformed value %q: %w", name, v, errdefs.ErrInvalidArgument)
		}
		ps = append(ps, pos{i, Input{strings.TrimPrefix(name, LabelInputPrefix), val}})
	}
	sort.Slice(ps, func(a, b int) bool { return ps[a].i < ps[b].i })
	l := make([]Input, len(ps))
	for i, p := range ps {
		l[i] = p.Input
	}
	if got := KeyOf(l).String(); got != k {
		return "", nil, fmt.Errorf("inputs hash to %s, not the labelled key %s: %w", got, k, errdefs.ErrInvalidArgument)
	}
	return digest.Digest(k), l, nil
}

// Change is one difference between two input lists.
type Change struct {
	Name string
	// Old is "" when the input was added, New is "" when it was removed.
	Old, New string
}

func (c Change) String() string {
	switch {
	case c.Old == "":
		return fmt.Sprintf("+ %s = %s", c.Name, c.New)
	case c.New == "":
		return fmt.Sprintf("- %s = %s", c.Name, c.Old)
	}
	return fmt.Sprintf("~ %s: %s -> %s", c.Name, c.Old, c.New)
}

// Diff lists the inputs that differ between old and new (new's order, then
// removed ones in old's order). Order changes of Features alone are reported
// as a change of "order".
func Diff(old, new []Input) []Change {
	om := map[string]string{}
	for _, i := range old {
		om[i.Name] = i.Value
	}
	nm := map[string]bool{}
	var out []Change
	for _, i := range new {
		nm[i.Name] = true
		if v, ok := om[i.Name]; !ok || v != i.Value {
			out = append(out, Change{Name: i.Name, Old: v, New: i.Value})
		}
	}
	for _, i := range old {
		if !nm[i.Name] {
			out = append(out, Change{Name: i.Name, Old: i.Value})
		}
	}
	if len(out) == 0 && KeyOf(old) != KeyOf(new) {
		out = append(out, Change{Name: "order", Old: names(old), New: names(new)})
	}
	return out
}

func names(l []Input) string {
	s := make([]string, len(l))
	for i, x := range l {
		s[i] = x.Name
	}
	return strings.Join(s, ",")
}
