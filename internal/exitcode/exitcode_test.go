package exitcode

import (
	"errors"
	"fmt"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
)

func TestOf(t *testing.T) {
	for name, tc := range map[string]struct {
		err  error
		want Code
	}{
		"nil":             {nil, OK},
		"plain":           {errors.New("x"), Failure},
		"with":            {With(Registry, errors.New("x")), Registry},
		"wrapped with":    {fmt.Errorf("ctx: %w", With(Build, errors.New("x"))), Build},
		"innermost wins":  {With(Build, fmt.Errorf("ctx: %w", With(Config, errors.New("x")))), Config},
		"not implemented": {fmt.Errorf("compose: %w", errdefs.ErrNotImplemented), Unsupported},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, Of(tc.err))
		})
	}
}

func TestWithNil(t *testing.T) {
	assert.NoError(t, With(Config, nil))
}
