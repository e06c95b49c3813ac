package token

import (
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
)

// A credential that ended 20 s ago is still accepted with the default
// 60 s clock skew, and refused with none, also from the verified cache.
func TestClockSkew(t *testing.T) {
	a := newAuthority(t)
	a.now = func() time.Time { return time.Now().Add(-30 * time.Second) }
	cred, err := a.IssueCredential("p1", contract.PurposeCreate, MinCredentialTTL)
	require.NoError(t, err)
	a.now = time.Now

	c, err := a.VerifyCredential(cred.Password)
	require.NoError(t, err, "within the default skew")
	tok, _, _, err := a.IssueAccess(c, nil, time.Minute)
	require.NoError(t, err)

	a.SetClockSkew(0)
	_, err = a.VerifyCredential(cred.Password)
	require.ErrorIs(t, err, errdefs.ErrUnauthenticated, "cached, but expired with no skew")
	_, err = a.VerifyAccess(tok)
	require.ErrorIs(t, err, errdefs.ErrUnauthenticated, "the access token ends with its credential")

	_, err = a.IssueCredential("p1", contract.PurposeCreate, MinCredentialTTL-time.Second)
	require.ErrorIs(t, err, errdefs.ErrInvalidArgument)
}
