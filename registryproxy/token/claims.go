package token

import (
	"github.com/golang-jwt/jwt/v5"

	"github.com/devcache/devcache/internal/contract"
)

// CredentialClaims are the claims of a runner credential (the password).
// Its ID (jti) is the credential id that access tokens carry as subject.
type CredentialClaims struct {
	jwt.RegisteredClaims
	Project string           `json:"project"`
	Purpose contract.Purpose `json:"purpose"`
}

// AccessClaims are the claims of a bearer access token.
type AccessClaims struct {
	jwt.RegisteredClaims
	Project string   `json:"project"`
	Access  []Access `json:"access"`
}

// Allows reports whether the token grants action on repository name.
func (c *AccessClaims) Allows(name, action string) bool {
	for _, a := range c.Access {
		if a.Allows(TypeRepository, name, action) {
			return true
		}
	}
	return false
}
