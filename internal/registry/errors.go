package registry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	remoteserrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Error is a failed registry operation: what was done (Op, "fetching the
// manifest of"), to which reference, and the registry's answer. It names the
// reference once: the request line go-containerregistry and containerd put
// in front of their errors (the URL, which repeats the reference) is left
// out of the message. It unwraps to the cause and to its errdefs kind.
type Error struct {
	Op, Ref string
	Err     error
	kind    error
}

func (e *Error) Error() string {
	return e.Op + " " + e.Ref + ": " + answer(e.Err)
}

// Unwrap returns the cause and the errdefs kind (errdefs.IsNotFound and
// friends, errors.As(*transport.Error) work on an *Error).
func (e *Error) Unwrap() []error {
	if e.kind == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.kind}
}

// Wrap returns err as an *Error of op on ref with its kind (Kind); nil stays
// nil, and an *Error is returned as it is (the reference is named once).
func Wrap(op, ref string, err error) error {
	if err == nil {
		return nil
	}
	var re *Error
	if errors.As(err, &re) {
		return err
	}
	return &Error{Op: op, Ref: ref, Err: err, kind: Kind(err)}
}

// kinds are the errdefs kinds an error may already carry.
var kinds = []error{
	errdefs.ErrUnknown, errdefs.ErrInvalidArgument, errdefs.ErrNotFound, errdefs.ErrAlreadyExists,
	errdefs.ErrPermissionDenied, errdefs.ErrResourceExhausted, errdefs.ErrFailedPrecondition,
	errdefs.ErrConflict, errdefs.ErrNotModified, errdefs.ErrAborted, errdefs.ErrOutOfRange,
	errdefs.ErrNotImplemented, errdefs.ErrInternal, errdefs.ErrUnavailable, errdefs.ErrDataLoss,
	errdefs.ErrUnauthenticated,
}

// Kind is the one mapping of a registry's answer onto containerd/errdefs
// kinds; nil when err carries one already (or is a cancellation) or none
// fits:
//
//	401, UNAUTHORIZED                          errdefs.ErrUnauthenticated
//	403, DENIED                                errdefs.ErrPermissionDenied
//	404, NAME_UNKNOWN, MANIFEST_UNKNOWN, BLOB_UNKNOWN  errdefs.ErrNotFound
//	400, 413, 416, *_INVALID                   errdefs.ErrInvalidArgument
//	MANIFEST_BLOB_UNKNOWN, 412                 errdefs.ErrFailedPrecondition
//	405, UNSUPPORTED                           errdefs.ErrNotImplemented
//	409                                        errdefs.ErrConflict
//	429, TOOMANYREQUESTS                       errdefs.ErrResourceExhausted
//	5xx, UNAVAILABLE, a network failure        errdefs.ErrUnavailable
//
// A code in the answer's body wins over its status.
func Kind(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	var te *transport.Error
	if errors.As(err, &te) {
		for _, d := range te.Errors {
			if k := codeKind(d.Code); k != nil {
				return k
			}
		}
		return StatusKind(te.StatusCode)
	}
	var ue remoteserrors.ErrUnexpectedStatus
	if errors.As(err, &ue) {
		return StatusKind(ue.StatusCode)
	}
	for _, k := range kinds {
		if errors.Is(err, k) {
			return nil
		}
	}
	var ne net.Error
	var urlErr *url.Error
	if errors.As(err, &ne) || errors.As(err, &urlErr) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errdefs.ErrUnavailable
	}
	return nil
}

// StatusKind is the errdefs kind of an HTTP status a registry answered
// with (nil for a success or a status with no kind).
func StatusKind(status int) error {
	switch {
	case status == http.StatusUnauthorized:
		return errdefs.ErrUnauthenticated
	case status == http.StatusForbidden:
		return errdefs.ErrPermissionDenied
	case status == http.StatusNotFound:
		return errdefs.ErrNotFound
	case status == http.StatusBadRequest, status == http.StatusRequestEntityTooLarge,
		status == http.StatusRequestedRangeNotSatisfiable:
		return errdefs.ErrInvalidArgument
	case status == http.StatusMethodNotAllowed:
		return errdefs.ErrNotImplemented
	case status == http.StatusConflict:
		return errdefs.ErrConflict
	case status == http.StatusPreconditionFailed:
		return errdefs.ErrFailedPrecondition
	case status == http.StatusTooManyRequests:
		return errdefs.ErrResourceExhausted
	case status >= 500:
		return errdefs.ErrUnavailable
	case status >= 400:
		return errdefs.ErrUnknown
	}
	return nil
}

func codeKind(c transport.ErrorCode) error {
	switch c {
	case transport.UnauthorizedErrorCode:
		return errdefs.ErrUnauthenticated
	case transport.DeniedErrorCode:
		return errdefs.ErrPermissionDenied
	case transport.NameUnknownErrorCode, transport.ManifestUnknownErrorCode, transport.BlobUnknownErrorCode,
		transport.BlobUploadUnknownErrorCode:
		return errdefs.ErrNotFound
	case transport.NameInvalidErrorCode, transport.ManifestInvalidErrorCode, transport.TagInvalidErrorCode,
		transport.DigestInvalidErrorCode, transport.SizeInvalidErrorCode, transport.BlobUploadInvalidErrorCode:
		return errdefs.ErrInvalidArgument
	case transport.ManifestBlobUnknownErrorCode:
		return errdefs.ErrFailedPrecondition
	case transport.UnsupportedErrorCode:
		return errdefs.ErrNotImplemented
	case transport.TooManyRequestsErrorCode:
		return errdefs.ErrResourceExhausted
	case transport.UnavailableErrorCode:
		return errdefs.ErrUnavailable
	}
	return nil
}

// IsNotFound reports a registry that has no such repository, manifest or
// blob (errdefs.ErrNotFound, or an answer Kind maps onto it).
func IsNotFound(err error) bool {
	return err != nil && (errdefs.IsNotFound(err) || errors.Is(Kind(err), errdefs.ErrNotFound))
}

// answer is err's text without the request line ("GET https://…: ")
// go-containerregistry puts in front of a registry's answer, and with
// containerd's "unexpected status from GET request to https://…" as the
// status alone.
func answer(err error) string {
	switch e := err.(type) { //nolint:errorlint // only the bare answer is shortened
	case *transport.Error:
		if _, rest, ok := strings.Cut(e.Error(), ": "); ok && e.Request != nil {
			return rest
		}
	case remoteserrors.ErrUnexpectedStatus:
		return "unexpected status " + e.Status
	}
	return err.Error()
}
