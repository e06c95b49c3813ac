package token

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Algorithm is the only JWS algorithm issued and accepted.
const Algorithm = "EdDSA"

// DefaultLeeway is the clock skew allowed on exp, nbf and iat unless an
// authority is given another ([auth] clock_skew).
const DefaultLeeway = 60 * time.Second

// MinCredentialTTL is the shortest credential lifetime issued (tests use it
// to make renewal observable; runners renew well before expiry).
const MinCredentialTTL = 10 * time.Second

// Key is one signing key named by its kid.
type Key struct {
	ID      string
	Private ed25519.PrivateKey
}

// KeySet signs with its first key and verifies with any of them, so keys
// rotate by prepending a new key and dropping the old one once every token
// it signed has expired.
type KeySet struct {
	signing Key
	public  map[string]ed25519.PublicKey
}

// NewKeySet builds a key set; keys[0] signs.
func NewKeySet(keys []Key) (*KeySet, error) {
	if len(keys) == 0 {
		return nil, errors.New("token: no signing keys")
	}
	ks := &KeySet{signing: keys[0], public: map[string]ed25519.PublicKey{}}
	for _, k := range keys {
		if k.ID == "" || len(k.Private) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("token: key %q is not an Ed25519 key with a kid", k.ID)
		}
		if _, dup := ks.public[k.ID]; dup {
			return nil, fmt.Errorf("token: duplicate kid %q", k.ID)
		}
		ks.public[k.ID] = k.Private.Public().(ed25519.PublicKey)
	}
	return ks, nil
}

// Sign signs claims with the current key, naming it in the kid header.
func (ks *KeySet) Sign(claims jwt.Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = ks.signing.ID
	return t.SignedString(ks.signing.Private)
}

// keyFunc resolves the verification key strictly by kid; embedded jwk/x5c
// headers are never consulted.
func (ks *KeySet) keyFunc(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	k, ok := ks.public[kid]
	if !ok {
		return nil, fmt.Errorf("unknown kid %q", kid)
	}
	return k, nil
}

// parse verifies signature, algorithm, issuer, audience and time claims.
func (ks *KeySet) parse(s, issuer, audience string, leeway time.Duration, claims jwt.Claims) error {
	_, err := jwt.ParseWithClaims(s, claims, ks.keyFunc,
		jwt.WithValidMethods([]string{Algorithm}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
	)
	return err
}
