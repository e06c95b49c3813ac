package tomlconfig

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/pelletier/go-toml/v2"
)

// Decode decodes b into v strictly, after checking that its top-level
// version is want. Every error is errdefs.ErrInvalidArgument; a syntax or
// type error starts with its line, column and key ("line 3, column 7:
// auth.credential_ttl: …"), an unknown key
// names the key and its line.
func Decode(b []byte, want int, v any) error {
	var probe struct {
		Version int `toml:"version"`
	}
	if err := toml.Unmarshal(b, &probe); err != nil {
		return decodeError(err)
	}
	if probe.Version != want {
		return fmt.Errorf("config version %d is not supported: set version = %d: %w", probe.Version, want, errdefs.ErrInvalidArgument)
	}
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	return nil
}

func decodeError(err error) error {
	var sm *toml.StrictMissingError
	if errors.As(err, &sm) {
		return fmt.Errorf("%s: %w", sm.String(), errdefs.ErrInvalidArgument)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		if k := de.Key(); len(k) > 0 {
			return fmt.Errorf("line %d, column %d: %s: %s: %w", row, col, strings.Join(k, "."), de.Error(), errdefs.ErrInvalidArgument)
		}
		return fmt.Errorf("line %d, column %d: %s: %w", row, col, de.Error(), errdefs.ErrInvalidArgument)
	}
	return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
}
