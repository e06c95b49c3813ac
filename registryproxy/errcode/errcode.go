// Package errcode holds the OCI distribution error codes the proxy answers
// with and writes them as the spec's JSON error body at the HTTP edge.
package errcode

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/containerd/errdefs"
)

// Code is an OCI distribution-spec error code with its HTTP status.
type Code struct {
	Value  string
	Status int
	kind   error // the containerd/errdefs kind it stands for
}

// The codes of distribution-spec §Error Codes (plus the legacy TAG_INVALID).
var (
	BlobUnknown         = Code{"BLOB_UNKNOWN", http.StatusNotFound, errdefs.ErrNotFound}
	BlobUploadInvalid   = Code{"BLOB_UPLOAD_INVALID", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	BlobUploadUnknown   = Code{"BLOB_UPLOAD_UNKNOWN", http.StatusNotFound, errdefs.ErrNotFound}
	DigestInvalid       = Code{"DIGEST_INVALID", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	ManifestInvalid     = Code{"MANIFEST_INVALID", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	ManifestUnknown     = Code{"MANIFEST_UNKNOWN", http.StatusNotFound, errdefs.ErrNotFound}
	NameInvalid         = Code{"NAME_INVALID", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	NameUnknown         = Code{"NAME_UNKNOWN", http.StatusNotFound, errdefs.ErrNotFound}
	SizeInvalid         = Code{"SIZE_INVALID", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	TagInvalid          = Code{"TAG_INVALID", http.StatusBadRequest, errdefs.ErrInvalidArgument}
	Unauthorized        = Code{"UNAUTHORIZED", http.StatusUnauthorized, errdefs.ErrUnauthenticated}
	Denied              = Code{"DENIED", http.StatusForbidden, errdefs.ErrPermissionDenied}
	Unsupported         = Code{"UNSUPPORTED", http.StatusMethodNotAllowed, errdefs.ErrNotImplemented}
	TooManyRequests     = Code{"TOOMANYREQUESTS", http.StatusTooManyRequests, errdefs.ErrResourceExhausted}
	ManifestTooLarge    = Code{"SIZE_INVALID", http.StatusRequestEntityTooLarge, errdefs.ErrInvalidArgument}
	RangeInvalid        = Code{"BLOB_UPLOAD_INVALID", http.StatusRequestedRangeNotSatisfiable, errdefs.ErrInvalidArgument}
	Unavailable         = Code{"UNAVAILABLE", http.StatusServiceUnavailable, errdefs.ErrUnavailable}
	Unknown             = Code{"UNKNOWN", http.StatusInternalServerError, errdefs.ErrUnknown}
	BadGateway          = Code{"UNKNOWN", http.StatusBadGateway, errdefs.ErrUnavailable}
	UnsupportedResource = Code{"UNSUPPORTED", http.StatusNotFound, errdefs.ErrNotImplemented}
)

// Error is an error that carries an OCI code. It unwraps to the code's
// errdefs kind, so errdefs.IsNotFound and friends work on it.
type Error struct {
	Code    Code
	Message string
}

// New returns an *Error with the code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string { return e.Code.Value + ": " + e.Message }

// Unwrap returns the errdefs kind of the code.
func (e *Error) Unwrap() error { return e.Code.kind }

// body is the distribution-spec error document.
type body struct {
	Errors []entry `json:"errors"`
}

type entry struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

// Write writes err as an OCI error response. Errors that carry no code are
// mapped from their errdefs kind; their text is not sent to the client
// (it may name backend repositories) unless it is an *Error.
func Write(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = fromKind(err)
	}
	WriteCode(w, e.Code, e.Message)
}

// WriteCode writes one error entry with the code's status.
func WriteCode(w http.ResponseWriter, code Code, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	w.WriteHeader(code.Status)
	_ = json.NewEncoder(w).Encode(body{Errors: []entry{{Code: code.Value, Message: message}}})
}

func fromKind(err error) *Error {
	switch {
	case errdefs.IsNotFound(err):
		return &Error{Code: NameUnknown, Message: "repository name not known to registry"}
	case errdefs.IsInvalidArgument(err):
		return &Error{Code: Code{"UNKNOWN", http.StatusBadRequest, errdefs.ErrInvalidArgument}, Message: "invalid request"}
	case errdefs.IsPermissionDenied(err):
		return &Error{Code: Denied, Message: "requested access to the resource is denied"}
	case errdefs.IsUnauthorized(err):
		return &Error{Code: Unauthorized, Message: "authentication required"}
	case errdefs.IsNotImplemented(err):
		return &Error{Code: Unsupported, Message: "the operation is unsupported"}
	case errdefs.IsUnavailable(err):
		return &Error{Code: Unavailable, Message: "backing registry unavailable"}
	default:
		return &Error{Code: Unknown, Message: "internal error"}
	}
}
