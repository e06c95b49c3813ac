package devcontainer

import (
	"errors"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// WrapAt points at the whole member, keeps the cause's kind, and its
// excerpt marks the member's lines as buildx does.
func TestWrapAtAndExcerpt(t *testing.T) {
	data := []byte("{\n  \"image\": \"x\",\n  \"features\": {\n    \"ghcr.io/a/b:1\": {}\n  }\n}\n")
	src, err := ParseSource("devcontainer.json", data)
	require.NoError(t, err)
	cause := errors.New("manifest unknown")
	err = src.WrapAt(errors.Join(cause, errdefs.ErrNotFound), "features", "ghcr.io/a/b:1")
	assert.Equal(t, `devcontainer.json:4:5: features["ghcr.io/a/b:1"]: manifest unknown`+"\n"+"not found", err.Error())
	assert.ErrorIs(t, err, errdefs.ErrNotFound)
	var de *Error
	require.ErrorAs(t, err, &de)
	var b strings.Builder
	require.NoError(t, de.PrintExcerpt(&b))
	assert.Contains(t, b.String(), "   4 | >>>     \"ghcr.io/a/b:1\": {}\n")
	assert.NotContains(t, b.String(), ">>>   \"features\"")

	assert.Equal(t, cause, src.WrapAt(cause, "features", "absent"), "an absent property leaves the error as it is")
	assert.Equal(t, "build.dockerfile", joinPath([]string{"build", "dockerfile"}))
}
