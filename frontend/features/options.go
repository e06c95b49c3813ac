package features

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/frontend/devcontainer"
)

var (
	unsafeRE  = regexp.MustCompile(`[^\w_]`)
	leadingRE = regexp.MustCompile(`^[\d_]+`)
)

// SafeID maps an option name to its environment variable name (spec "Option
// resolution"): non-word characters become _, a leading run of digits and
// underscores becomes a single _, then upper case.
func SafeID(name string) string {
	s := unsafeRE.ReplaceAllString(name, "_")
	s = leadingRE.ReplaceAllString(s, "_")
	return strings.ToUpper(s)
}

// Options are a Feature's user-given options in file order. Values are JSON
// scalars (string, boolean or number) kept as written.
type Options []devcontainer.Member

// ParseOptions decodes a value of devcontainer.json's "features" map: an
// options object, or a string/boolean shorthand, which the reference CLI
// treats as the "version" option when the Feature declares one. Strings in
// option values are substituted with subst (nil: none).
func ParseOptions(raw json.RawMessage, subst func(string) string) (Options, any, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, nil, fmt.Errorf("feature options: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	if _, ok := v.(map[string]any); !ok {
		if s, ok := v.(string); ok && subst != nil {
			v = subst(s)
		}
		return nil, v, nil
	}
	src, err := devcontainer.ParseSource("options", raw)
	if err != nil {
		return nil, nil, err
	}
	opts := Options(src.Members())
	if subst != nil {
		for i, m := range opts {
			var s string
			if json.Unmarshal(m.Value, &s) == nil {
				b, _ := json.Marshal(subst(s))
				opts[i].Value = b
			}
		}
	}
	return opts, nil, nil
}

// jsString renders a JSON scalar the way JavaScript's template strings do.
func jsString(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return "null"
	}
	return string(raw)
}

// Values returns the option values the install script sees, in the order
// the CLI writes them: declared defaults first (declaration order), then
// user values, user values overriding defaults.
func Values(m *Metadata, user Options, shorthand any) []EnvVar {
	var out []EnvVar
	idx := map[string]int{}
	set := func(name, value string) {
		if i, ok := idx[name]; ok {
			out[i].Value = value
			return
		}
		idx[name] = len(out)
		out = append(out, EnvVar{Name: name, Value: value})
	}
	for _, o := range m.Options {
		if o.Default != nil {
			set(o.Name, jsString(o.Default))
		}
	}
	if shorthand != nil {
		if m.hasOption("version") {
			b, _ := json.Marshal(shorthand)
			set("version", jsString(b))
		}
		return out
	}
	for _, u := range user {
		set(u.Name, jsString(u.Value))
	}
	return out
}

// EnvFile renders devcontainer-features.env: NAME="value" lines, values
// unescaped exactly as the reference CLI writes them.
func EnvFile(values []EnvVar) string {
	var b strings.Builder
	for _, v := range values {
		fmt.Fprintf(&b, "%s=\"%s\"\n", SafeID(v.Name), v.Value)
	}
	return b.String()
}
