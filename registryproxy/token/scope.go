package token

import (
	"errors"
	"slices"
	"strings"
)

// Actions a repository scope may name.
const (
	ActionPull   = "pull"
	ActionPush   = "push"
	ActionDelete = "delete"
)

// TypeRepository is the resource type of repository scopes.
const TypeRepository = "repository"

// Access is one resource scope: the JSON shape of a JWT "access" entry.
type Access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// String renders the scope as resourcetype:resourcename:action[,action].
func (a Access) String() string {
	return a.Type + ":" + a.Name + ":" + strings.Join(a.Actions, ",")
}

// Allows reports whether a names exactly typ:name with action.
func (a Access) Allows(typ, name, action string) bool {
	return a.Type == typ && a.Name == name && slices.Contains(a.Actions, action)
}

// ErrInvalidScope is returned for a scope that does not follow the grammar.
var ErrInvalidScope = errors.New("invalid scope")

const maxScopeLength = 1024

// ParseScope parses one resourcescope. The actions follow the last colon
// (a name may hold host:port); a deprecated class in parentheses after the
// type ("repository(plugin)") is dropped. Actions are deduplicated, kept in
// request order, and must match [a-z]* or be "*".
func ParseScope(s string) (Access, error) {
	if len(s) > maxScopeLength || s == "" {
		return Access{}, ErrInvalidScope
	}
	typ, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Access{}, ErrInvalidScope
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return Access{}, ErrInvalidScope
	}
	name, acts := rest[:i], rest[i+1:]
	if c := strings.IndexByte(typ, '('); c >= 0 {
		if !strings.HasSuffix(typ, ")") || !lowerAlnum(typ[c+1:len(typ)-1]) {
			return Access{}, ErrInvalidScope
		}
		typ = typ[:c]
	}
	if !lowerAlnum(typ) || name == "" || strings.ContainsAny(name, " \t\r\n,\"") {
		return Access{}, ErrInvalidScope
	}
	a := Access{Type: typ, Name: name, Actions: []string{}}
	if acts == "" {
		return a, nil
	}
	for _, act := range strings.Split(acts, ",") {
		if act != "*" && !lowerLetters(act) {
			return Access{}, ErrInvalidScope
		}
		if act != "" && !slices.Contains(a.Actions, act) {
			a.Actions = append(a.Actions, act)
		}
	}
	return a, nil
}

// ParseScopes parses scope parameters: each value may hold several scopes
// separated by spaces (the OAuth2 form, and BuildKit's GET). Malformed
// scopes are skipped: a token request yields the intersection, never an error.
func ParseScopes(values []string) []Access {
	var out []Access
	for _, v := range values {
		for _, s := range strings.Fields(v) {
			if a, err := ParseScope(s); err == nil {
				out = append(out, a)
			}
		}
	}
	return out
}

// Intersect returns, for each requested scope, the actions also granted
// by allowed (exact type and name). Scopes with no action left are dropped.
func Intersect(requested, allowed []Access) []Access {
	var out []Access
	for _, r := range requested {
		var acts []string
		for _, act := range r.Actions {
			for _, g := range allowed {
				if g.Type != r.Type || g.Name != r.Name {
					continue
				}
				if act == "*" {
					for _, ga := range g.Actions {
						if !slices.Contains(acts, ga) {
							acts = append(acts, ga)
						}
					}
				} else if slices.Contains(g.Actions, act) && !slices.Contains(acts, act) {
					acts = append(acts, act)
				}
			}
		}
		if len(acts) > 0 {
			merged := false
			for i := range out {
				if out[i].Type == r.Type && out[i].Name == r.Name {
					for _, a := range acts {
						if !slices.Contains(out[i].Actions, a) {
							out[i].Actions = append(out[i].Actions, a)
						}
					}
					merged = true
				}
			}
			if !merged {
				out = append(out, Access{Type: r.Type, Name: r.Name, Actions: acts})
			}
		}
	}
	return out
}

func lowerAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func lowerLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
