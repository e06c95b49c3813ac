package token

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/containerd/errdefs"
	"github.com/golang-jwt/jwt/v5"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/route"
)

// Username is the user name printed with every credential; the proxy
// ignores the user name and trusts only the signed password.
const Username = "devcache"

// credentialAudienceSuffix separates the credential audience from the
// access-token audience, so neither token kind is accepted as the other.
const credentialAudienceSuffix = "/credential" //nolint:gosec // an audience name, not a secret

// Credential is what a runner logs in with.
type Credential struct {
	Username  string    `json:"username"`
	Password  string    `json:"password"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Authority issues and verifies credentials and access tokens for one
// service name. It is stateless: replicas with the same keys agree.
type Authority struct {
	keys    *KeySet
	issuer  string
	service string
	now     func() time.Time
	// leeway is the clock skew allowed on exp, nbf and iat.
	leeway time.Duration

	access      verifiedCache[*AccessClaims]
	credentials verifiedCache[*CredentialClaims]
}

// NewAuthority returns an authority for service (the JWT audience and the
// WWW-Authenticate service) signing as issuer.
func NewAuthority(keys *KeySet, issuer, service string) *Authority {
	return &Authority{keys: keys, issuer: issuer, service: service, now: time.Now, leeway: DefaultLeeway}
}

// SetClockSkew sets the clock skew allowed when verifying (DefaultLeeway
// unless set; 0 accepts nothing past exp). Call it before serving.
func (a *Authority) SetClockSkew(d time.Duration) { a.leeway = d }

// Service is the service name clients pass to the token endpoint.
func (a *Authority) Service() string { return a.service }

// IssueCredential signs a credential for project and purpose valid for ttl.
func (a *Authority) IssueCredential(project string, purpose contract.Purpose, ttl time.Duration) (Credential, error) {
	if !route.ValidComponent(project) {
		return Credential{}, fmt.Errorf("project id %q must be one lowercase OCI name component: %w", project, errdefs.ErrInvalidArgument)
	}
	if !purpose.Valid() {
		return Credential{}, fmt.Errorf("purpose %q must be create, rebuild or refresh: %w", purpose, errdefs.ErrInvalidArgument)
	}
	if ttl < MinCredentialTTL {
		return Credential{}, fmt.Errorf("credential lifetime %s is below %s: %w", ttl, MinCredentialTTL, errdefs.ErrInvalidArgument)
	}
	now := a.now().Truncate(time.Second)
	exp := now.Add(ttl)
	claims := CredentialClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    a.issuer,
			Subject:   "project:" + project,
			Audience:  jwt.ClaimStrings{a.service + credentialAudienceSuffix},
			ExpiresAt: jwt.NewNumericDate(exp),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        randomID(),
		},
		Project: project,
		Purpose: purpose,
	}
	s, err := a.keys.Sign(claims)
	if err != nil {
		return Credential{}, err
	}
	return Credential{Username: Username, Password: s, ExpiresAt: exp.UTC()}, nil
}

// VerifyCredential checks a credential; errors are errdefs.ErrUnauthenticated.
func (a *Authority) VerifyCredential(password string) (*CredentialClaims, error) {
	if c, ok := a.credentials.get(password, a.now(), a.leeway); ok {
		return c, nil
	}
	var c CredentialClaims
	if err := a.keys.parse(password, a.issuer, a.service+credentialAudienceSuffix, a.leeway, &c); err != nil {
		return nil, fmt.Errorf("credential: %w: %w", err, errdefs.ErrUnauthenticated)
	}
	if !route.ValidComponent(c.Project) || !c.Purpose.Valid() || c.ID == "" {
		return nil, fmt.Errorf("credential: malformed claims: %w", errdefs.ErrUnauthenticated)
	}
	a.credentials.put(password, &c, c.ExpiresAt.Time)
	return &c, nil
}

// IssueAccess signs an access token for the credential with the given
// (already intersected) access, valid for ttl but never beyond the
// credential's own expiry. It returns the token and its lifetime.
func (a *Authority) IssueAccess(cred *CredentialClaims, access []Access, ttl time.Duration) (string, time.Time, time.Duration, error) {
	now := a.now().Truncate(time.Second)
	exp := now.Add(ttl)
	if ce := cred.ExpiresAt.Time; ce.Before(exp) {
		exp = ce
	}
	if access == nil {
		access = []Access{}
	}
	claims := AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    a.issuer,
			Subject:   cred.ID,
			Audience:  jwt.ClaimStrings{a.service},
			ExpiresAt: jwt.NewNumericDate(exp),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        randomID(),
		},
		Project: cred.Project,
		Access:  access,
	}
	s, err := a.keys.Sign(claims)
	return s, now, exp.Sub(now), err
}

// VerifyAccess checks a bearer access token. Verified tokens are cached
// until they expire, so a request pays for one map lookup, not a signature check.
func (a *Authority) VerifyAccess(tok string) (*AccessClaims, error) {
	if c, ok := a.access.get(tok, a.now(), a.leeway); ok {
		return c, nil
	}
	var c AccessClaims
	if err := a.keys.parse(tok, a.issuer, a.service, a.leeway, &c); err != nil {
		return nil, fmt.Errorf("access token: %w: %w", err, errdefs.ErrUnauthenticated)
	}
	if c.Subject == "" || !route.ValidComponent(c.Project) {
		return nil, fmt.Errorf("access token: malformed claims: %w", errdefs.ErrUnauthenticated)
	}
	a.access.put(tok, &c, c.ExpiresAt.Time)
	return &c, nil
}

// ErrNoCredentials is returned when a token request carries no credentials.
var ErrNoCredentials = errors.New("no credentials")

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
