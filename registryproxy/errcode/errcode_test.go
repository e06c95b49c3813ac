package errcode

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/require"
)

func TestWriteCodedError(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, fmt.Errorf("wrapped: %w", New(NameInvalid, "bad name %q", "A")))
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var b body
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &b))
	require.Equal(t, "NAME_INVALID", b.Errors[0].Code)
	require.Equal(t, `bad name "A"`, b.Errors[0].Message)
}

func TestWriteKindHidesText(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, fmt.Errorf("backend repo secret-prefix/x: %w", errdefs.ErrUnavailable))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.NotContains(t, rec.Body.String(), "secret-prefix")
}

func TestErrorUnwrapsToKind(t *testing.T) {
	require.True(t, errdefs.IsNotFound(New(ManifestUnknown, "x")))
	require.True(t, errdefs.IsInvalidArgument(New(DigestInvalid, "x")))
}
