package token

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
)

func newKey(t testing.TB, id string) Key {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return Key{ID: id, Private: priv}
}

func newAuthority(t testing.TB, keys ...Key) *Authority {
	if len(keys) == 0 {
		keys = []Key{newKey(t, "k1")}
	}
	ks, err := NewKeySet(keys)
	require.NoError(t, err)
	return NewAuthority(ks, "devcache-proxy", "devcache")
}

func TestCredentialRoundTrip(t *testing.T) {
	a := newAuthority(t)
	cred, err := a.IssueCredential("p1", contract.PurposeCreate, 10*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, Username, cred.Username)
	c, err := a.VerifyCredential(cred.Password)
	require.NoError(t, err)
	assert.Equal(t, "p1", c.Project)
	assert.Equal(t, contract.PurposeCreate, c.Purpose)

	tok, _, ttl, err := a.IssueAccess(c, []Access{{TypeRepository, "projects/p1/image-build", []string{"pull"}}}, 5*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Minute, ttl)
	ac, err := a.VerifyAccess(tok)
	require.NoError(t, err)
	assert.True(t, ac.Allows("projects/p1/image-build", "pull"))
	assert.False(t, ac.Allows("projects/p1/image-build", "push"))
	assert.Equal(t, c.ID, ac.Subject)
}

func TestIssueCredentialValidates(t *testing.T) {
	a := newAuthority(t)
	for _, p := range []string{"", "P1", "a/b", "..", "a b"} {
		_, err := a.IssueCredential(p, contract.PurposeCreate, time.Hour)
		assert.True(t, errdefs.IsInvalidArgument(err), p)
	}
	_, err := a.IssueCredential("p1", "admin", time.Hour)
	assert.True(t, errdefs.IsInvalidArgument(err))
}

func TestTokenKindsAreNotInterchangeable(t *testing.T) {
	a := newAuthority(t)
	cred, err := a.IssueCredential("p1", contract.PurposeCreate, 10*time.Minute)
	require.NoError(t, err)
	_, err = a.VerifyAccess(cred.Password)
	assert.True(t, errdefs.IsUnauthorized(err), "a credential is not a bearer token")
	c, _ := a.VerifyCredential(cred.Password)
	tok, _, _, err := a.IssueAccess(c, nil, time.Minute)
	require.NoError(t, err)
	_, err = a.VerifyCredential(tok)
	assert.True(t, errdefs.IsUnauthorized(err), "a bearer token is not a credential")
}

func TestAccessNeverOutlivesCredential(t *testing.T) {
	a := newAuthority(t)
	cred, err := a.IssueCredential("p1", contract.PurposeRebuild, 2*time.Minute)
	require.NoError(t, err)
	c, _ := a.VerifyCredential(cred.Password)
	_, _, ttl, err := a.IssueAccess(c, nil, time.Hour)
	require.NoError(t, err)
	assert.LessOrEqual(t, ttl, 2*time.Minute)
}

func TestExpiredAndForeign(t *testing.T) {
	a := newAuthority(t)
	past := time.Now().Add(-time.Hour)
	a.now = func() time.Time { return past }
	cred, err := a.IssueCredential("p1", contract.PurposeCreate, 10*time.Minute)
	require.NoError(t, err)
	a.now = time.Now
	_, err = a.VerifyCredential(cred.Password)
	assert.True(t, errdefs.IsUnauthorized(err), "expired")

	other := newAuthority(t, newKey(t, "k1")) // same kid, different key
	foreign, err := other.IssueCredential("p1", contract.PurposeCreate, 10*time.Minute)
	require.NoError(t, err)
	_, err = a.VerifyCredential(foreign.Password)
	assert.True(t, errdefs.IsUnauthorized(err), "foreign key")

	k := newKey(t, "k1")
	svcA := newAuthority(t, k)
	ksB, _ := NewKeySet([]Key{k})
	svcB := NewAuthority(ksB, "devcache-proxy", "other-service")
	credB, _ := svcB.IssueCredential("p1", contract.PurposeCreate, time.Hour)
	_, err = svcA.VerifyCredential(credB.Password)
	assert.True(t, errdefs.IsUnauthorized(err), "wrong audience")
}

func TestKeyRotation(t *testing.T) {
	old, next := newKey(t, "old"), newKey(t, "new")
	before := newAuthority(t, old)
	cred, err := before.IssueCredential("p1", contract.PurposeCreate, time.Hour)
	require.NoError(t, err)
	rotated := newAuthority(t, next, old)
	_, err = rotated.VerifyCredential(cred.Password)
	require.NoError(t, err, "tokens signed by a previous key verify after rotation")
	fresh, err := rotated.IssueCredential("p1", contract.PurposeCreate, time.Hour)
	require.NoError(t, err)
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(fresh.Password, ".")[0])
	assert.Contains(t, string(hdr), `"kid":"new"`)
	dropped := newAuthority(t, next)
	_, err = dropped.VerifyCredential(cred.Password)
	assert.Error(t, err, "a dropped key no longer verifies")
}

func TestAlgorithmConfusion(t *testing.T) {
	k := newKey(t, "k1")
	a := newAuthority(t, k)
	claims := CredentialClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "devcache-proxy", Audience: jwt.ClaimStrings{"devcache/credential"}, ID: "x",
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)), IssuedAt: jwt.NewNumericDate(time.Now()),
		},
		Project: "p1", Purpose: contract.PurposeCreate,
	}
	// alg=none
	none := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	none.Header["kid"] = "k1"
	s, err := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	_, err = a.VerifyCredential(s)
	require.Error(t, err, "alg none")
	// HS256 keyed with the public key bytes (RS/EdDSA -> HMAC confusion)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	hs.Header["kid"] = "k1"
	s, err = hs.SignedString([]byte(k.Private.Public().(ed25519.PublicKey)))
	require.NoError(t, err)
	_, err = a.VerifyCredential(s)
	require.Error(t, err, "HS256 with the public key")
	// embedded jwk header is ignored: a self-signed token with an unknown kid
	attacker := newKey(t, "evil")
	ed := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	ed.Header["kid"] = "evil"
	ed.Header["jwk"] = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(attacker.Private.Public().(ed25519.PublicKey))}
	s, err = ed.SignedString(attacker.Private)
	require.NoError(t, err)
	_, err = a.VerifyCredential(s)
	assert.Error(t, err, "embedded jwk")
}

func BenchmarkIssueAccess(b *testing.B) {
	a := newAuthority(b)
	cred, _ := a.IssueCredential("p1", contract.PurposeCreate, time.Hour)
	acc := []Access{{TypeRepository, "projects/p1/image-build", []string{"pull", "push"}}}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c, err := a.VerifyCredential(cred.Password)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, _, err := a.IssueAccess(c, acc, 5*time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
}
