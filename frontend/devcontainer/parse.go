package devcontainer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/tailscale/hujson"
)

var hujsonErrRE = regexp.MustCompile(`^hujson: line (\d+), column (\d+): (.*)$`)

// syntaxError turns a hujson parse error into a located *Error.
func syntaxError(filename string, data []byte, err error) error {
	m := hujsonErrRE.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{Filename: filename, Range: Range{Start: Position{1, 1}}, Msg: err.Error()}
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	p := Position{Line: line, Column: col}
	return &Error{Filename: filename, Range: Range{Start: p, End: p}, Msg: "syntax error: " + m[3]}
}

// MaxConfigSize is the largest devcontainer.json accepted: 1 MiB, far
// beyond any real configuration, and below what an image label can carry.
const MaxConfigSize = 1 << 20

// Parse parses a devcontainer.json (JSONC) and decodes the properties that
// affect the built image. Errors are *Error values carrying the position.
func Parse(filename string, data []byte) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, &Error{Filename: filename, Range: Range{Start: Position{1, 1}}, Msg: fmt.Sprintf("the file is %d bytes, over the limit of %d (1 MiB)", len(data), MaxConfigSize)}
	}
	// A UTF-8 BOM is accepted, as jsonc-parser does; blank it to keep offsets.
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		data = append([]byte("   "), data[3:]...)
	}
	src, err := ParseSource(filename, data)
	if err != nil {
		return nil, err
	}
	obj, ok := src.root.Value.(*hujson.Object)
	if !ok {
		return nil, src.errorAt(&src.root, "", "must contain a JSON object literal")
	}
	d := &decoder{src: src}
	c := &Config{Source: src}
	for i := range obj.Members {
		m := &obj.Members[i]
		name := m.Name.Value.(hujson.Literal).String()
		c.Members = append(c.Members, Member{Name: name, Value: json.RawMessage(src.raw(&m.Value))})
	}
	if v, ok := src.Lookup("dockerComposeFile"); ok {
		e := src.errorAt(v, "dockerComposeFile", "Docker Compose configurations are not supported by devcache-frontend; use \"image\" or \"build\"")
		e.kind = errdefs.ErrNotImplemented
		return nil, e
	}
	d.str(&c.Name, "name")
	d.str(&c.Image, "image")
	d.strs(&c.OverrideFeatureInstallOrder, "overrideFeatureInstallOrder")
	d.strMap(&c.ContainerEnv, &c.ContainerEnvOrder, "containerEnv")
	d.str(&c.ContainerUser, "containerUser")
	d.str(&c.RemoteUser, "remoteUser")
	c.Build = d.build()
	if fv, ok := src.Lookup("features"); ok {
		fo, ok := fv.Value.(*hujson.Object)
		if !ok {
			d.fail(fv, "features", "want an object")
		} else {
			for i := range fo.Members {
				m := &fo.Members[i]
				id := m.Name.Value.(hujson.Literal).String()
				switch m.Value.Value.Kind() {
				case '{', '"', 't', 'f':
				default:
					d.fail(&m.Value, "features."+id, "want an options object, a version string or a boolean")
				}
				c.Features = append(c.Features, FeatureEntry{ID: id, Value: json.RawMessage(src.raw(&m.Value)), Range: src.rangeOf(&m.Value)})
			}
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if c.Image == "" && c.Build == nil {
		return nil, src.errorAt(&src.root, "", `neither "image" nor "build.dockerfile" is set`)
	}
	return c, nil
}

func (d *decoder) build() *Build {
	var b Build
	if bv, ok := d.src.Lookup("build"); ok {
		if bv.Value.Kind() != '{' {
			d.fail(bv, "build", "want an object, got "+kindName(bv.Value.Kind()))
			return nil
		}
		d.str(&b.Dockerfile, "build", "dockerfile")
		d.str(&b.Context, "build", "context")
		d.str(&b.Target, "build", "target")
		d.strMap(&b.Args, &b.ArgOrder, "build", "args")
		d.strs(&b.Options, "build", "options")
		if v, ok := d.src.Lookup("build", "cacheFrom"); ok && v.Value.Kind() == '"' {
			b.CacheFrom = []string{v.Value.(hujson.Literal).String()}
		} else {
			d.strs(&b.CacheFrom, "build", "cacheFrom")
		}
	}
	// The legacy top-level dockerFile and context.
	if b.Dockerfile == "" {
		d.str(&b.Dockerfile, "dockerFile")
		if b.Context == "" {
			d.str(&b.Context, "context")
		}
	}
	if b.Dockerfile == "" {
		return nil
	}
	return &b
}

func (s *Source) errorAt(v *hujson.Value, path, msg string) *Error {
	return &Error{Filename: s.Filename, Path: path, Range: s.rangeOf(v), Msg: msg, Data: s.Data}
}

// decoder decodes typed properties, keeping the first error.
type decoder struct {
	src *Source
	err error
}

func (d *decoder) fail(v *hujson.Value, path, msg string) {
	if d.err == nil {
		d.err = d.src.errorAt(v, path, msg)
	}
}

func (d *decoder) decode(dst any, want string, path ...string) bool {
	v, ok := d.src.Lookup(path...)
	if !ok || v.Value.Kind() == 'n' {
		return false
	}
	if err := json.Unmarshal(d.src.raw(v), dst); err != nil {
		d.failChild(v, strings.Join(path, "."), want)
		return false
	}
	return true
}

func (d *decoder) str(dst *string, path ...string)    { d.decode(dst, "a string", path...) }
func (d *decoder) strs(dst *[]string, path ...string) { d.decode(dst, "an array of strings", path...) }

// strMap decodes an object of strings, recording key order in order (if non-nil).
func (d *decoder) strMap(dst *map[string]string, order *[]string, path ...string) {
	if !d.decode(dst, "an object of strings", path...) || order == nil {
		return
	}
	v, _ := d.src.Lookup(path...)
	for _, m := range v.Value.(*hujson.Object).Members {
		*order = append(*order, m.Name.Value.(hujson.Literal).String())
	}
}

func kindName(k hujson.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "an invalid value"
}

// failChild reports a type error at the first element of a string array or
// string map that is not a string, or at v itself.
func (d *decoder) failChild(v *hujson.Value, path, want string) {
	switch c := v.Value.(type) {
	case *hujson.Object:
		if strings.Contains(want, "object") {
			for i := range c.Members {
				m := &c.Members[i]
				if k := m.Value.Value.Kind(); k != '"' {
					d.fail(&m.Value, path+"."+m.Name.Value.(hujson.Literal).String(), "want a string, got "+kindName(k))
					return
				}
			}
		}
	case *hujson.Array:
		if strings.Contains(want, "array") {
			for i := range c.Elements {
				if k := c.Elements[i].Value.Kind(); k != '"' {
					d.fail(&c.Elements[i], fmt.Sprintf("%s[%d]", path, i), "want a string, got "+kindName(k))
					return
				}
			}
		}
	}
	d.fail(v, path, fmt.Sprintf("want %s, got %s", want, kindName(v.Value.Kind())))
}
