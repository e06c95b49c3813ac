// Package token implements the Docker registry token protocol pieces the
// proxy needs: the scope grammar (ParseScope), the access claims of a JWT,
// and signing/verification with a pinned algorithm (EdDSA) and rotatable
// keys selected by kid. Two token kinds share the key set and are told apart
// by audience: runner credentials (the "password" a runner logs in with)
// and short-lived bearer access tokens issued by the /token endpoint.
package token
