package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// Stringify re-serializes standard JSON the way JavaScript's
// JSON.stringify(JSON.parse(s)) does: member order kept, no insignificant
// whitespace, JavaScript string escapes and number formatting.
func Stringify(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out bytes.Buffer
	if err := writeValue(dec, &out); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return out.Bytes(), nil
}

func writeValue(dec *json.Decoder, out *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				k, err := dec.Token()
				if err != nil {
					return err
				}
				writeString(out, k.(string))
				out.WriteByte(':')
				if err := writeValue(dec, out); err != nil {
					return err
				}
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				if err := writeValue(dec, out); err != nil {
					return err
				}
			}
			out.WriteByte(']')
		}
		_, err := dec.Token() // closing delimiter
		return err
	case string:
		writeString(out, t)
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return err
		}
		out.WriteString(jsNumber(f))
	case bool:
		out.WriteString(strconv.FormatBool(t))
	case nil:
		out.WriteString("null")
	}
	return nil
}

// jsNumber formats like JavaScript's Number.prototype.toString.
func jsNumber(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "null"
	}
	if a := math.Abs(f); a != 0 && (a >= 1e21 || a < 1e-6) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// Go: 1e+21, 1.5e-07; JavaScript: 1e+21, 1.5e-7.
		if i := bytes.IndexByte([]byte(s), 'e'); i >= 0 && len(s) > i+3 && s[i+2] == '0' {
			s = s[:i+2] + s[i+3:]
		}
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// writeString quotes s like JSON.stringify: only ", \ and control
// characters are escaped.
func writeString(out *bytes.Buffer, s string) {
	out.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			out.WriteString(`\"`)
		case '\\':
			out.WriteString(`\\`)
		case '\b':
			out.WriteString(`\b`)
		case '\f':
			out.WriteString(`\f`)
		case '\n':
			out.WriteString(`\n`)
		case '\r':
			out.WriteString(`\r`)
		case '\t':
			out.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(out, `\u%04x`, r)
			} else if r == utf8.RuneError {
				out.WriteString(`\ufffd`)
			} else {
				out.WriteRune(r)
			}
		}
	}
	out.WriteByte('"')
}
