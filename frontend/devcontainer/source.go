package devcontainer

import (
	"encoding/json"
	"strings"

	"github.com/tailscale/hujson"
)

// Source is a parsed JSONC file: its bytes and the syntax tree with byte
// offsets.
type Source struct {
	Filename string
	Data     []byte
	root     hujson.Value
}

// ParseSource parses JSONC data, returning an *Error located at the first
// syntax error.
func ParseSource(filename string, data []byte) (*Source, error) {
	v, err := hujson.Parse(data)
	if err != nil {
		return nil, syntaxError(filename, data, err)
	}
	return &Source{Filename: filename, Data: data, root: v}, nil
}

// Lookup returns the value at the JSON object path.
func (s *Source) Lookup(path ...string) (*hujson.Value, bool) {
	v := &s.root
	for _, p := range path {
		obj, ok := v.Value.(*hujson.Object)
		if !ok {
			return nil, false
		}
		var next *hujson.Value
		for i := range obj.Members {
			if obj.Members[i].Name.Value.(hujson.Literal).String() == p {
				next = &obj.Members[i].Value
			}
		}
		if next == nil {
			return nil, false
		}
		v = next
	}
	return v, true
}

// memberRange returns the span of the object member at path, from its
// name to the end of its value.
func (s *Source) memberRange(path ...string) (Range, bool) {
	if len(path) == 0 {
		return Range{}, false
	}
	parent, ok := s.Lookup(path[:len(path)-1]...)
	if !ok {
		return Range{}, false
	}
	obj, ok := parent.Value.(*hujson.Object)
	if !ok {
		return Range{}, false
	}
	for i := range obj.Members {
		m := &obj.Members[i]
		if m.Name.Value.(hujson.Literal).String() == path[len(path)-1] {
			return Range{Start: position(s.Data, m.Name.StartOffset), End: position(s.Data, m.Value.EndOffset)}, true
		}
	}
	return Range{}, false
}

// Range returns the location of the value at path, or of the whole document
// when the path does not exist.
func (s *Source) Range(path ...string) Range {
	v, ok := s.Lookup(path...)
	if !ok {
		v = &s.root
	}
	return s.rangeOf(v)
}

func (s *Source) rangeOf(v *hujson.Value) Range {
	return Range{Start: position(s.Data, v.StartOffset), End: position(s.Data, v.EndOffset)}
}

// raw returns v as compact standard JSON (comments and trailing commas
// removed, member order kept).
func (s *Source) raw(v *hujson.Value) []byte {
	c := v.Clone()
	c.BeforeExtra, c.AfterExtra = nil, nil
	c.Standardize()
	c.Minimize()
	return c.Pack()
}

// Raw returns the value at path as compact standard JSON.
func (s *Source) Raw(path ...string) (json.RawMessage, bool) {
	v, ok := s.Lookup(path...)
	if !ok {
		return nil, false
	}
	return json.RawMessage(s.raw(v)), true
}

// Members returns the members of the object at path (the top level when path
// is empty) in file order, or nil if it is not an object.
func (s *Source) Members(path ...string) []Member {
	v, ok := s.Lookup(path...)
	if !ok {
		return nil
	}
	obj, ok := v.Value.(*hujson.Object)
	if !ok {
		return nil
	}
	out := make([]Member, 0, len(obj.Members))
	for i := range obj.Members {
		m := &obj.Members[i]
		out = append(out, Member{Name: m.Name.Value.(hujson.Literal).String(), Value: json.RawMessage(s.raw(&m.Value))})
	}
	return out
}

// ErrorAt returns an *Error located at the value at path.
func (s *Source) ErrorAt(msg string, path ...string) *Error {
	v, ok := s.Lookup(path...)
	if !ok {
		v = &s.root
	}
	return s.errorAt(v, strings.Join(path, "."), msg)
}
