package server

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"
)

// uploadSession is what a client-visible upload id seals: the backend's
// upload location, bound to the client repository and the credential that
// started it. It is encrypted (AES-GCM), so backend names and state never
// reach the client, and authenticated, so it cannot be forged or moved.
type uploadSession struct {
	Repository string    `json:"r"`
	Subject    string    `json:"s"`
	Backend    string    `json:"b"` // backend path?query
	Expires    time.Time `json:"e"`
}

// SessionLifetime bounds an upload session (renewed by every chunk).
const SessionLifetime = 24 * time.Hour

type sealer struct{ aead cipher.AEAD }

func newSealer(secret []byte) (*sealer, error) {
	if len(secret) < 32 {
		return nil, errors.New("server: upload secret must be at least 32 bytes")
	}
	key := sha256.Sum256(append([]byte("devcache upload session v1\x00"), secret...))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(u uploadSession) (string, error) {
	pt, err := json.Marshal(u)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(pt)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, pt, nil)), nil
}

var errBadSession = errors.New("unknown upload session")

func (s *sealer) open(id string, now time.Time) (uploadSession, error) {
	var u uploadSession
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) < s.aead.NonceSize() {
		return u, errBadSession
	}
	pt, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], nil)
	if err != nil {
		return u, errBadSession
	}
	if err := json.Unmarshal(pt, &u); err != nil || !now.Before(u.Expires) {
		return u, errBadSession
	}
	return u, nil
}
