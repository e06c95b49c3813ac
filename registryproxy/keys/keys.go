// Package keys loads and creates the proxy's key file: the Ed25519 token
// signing keys (first signs, all verify, each named by kid), the secret
// that seals upload-session ids, and the admin endpoint's secret. Replicas
// that share the file accept each other's credentials and upload sessions.
package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/devcache/devcache/registryproxy/token"
)

// File is the on-disk key file (JSON, mode 0600).
type File struct {
	Version int `json:"version"`
	// SigningKeys: the first one signs; prepend a new key to rotate.
	SigningKeys []SigningKey `json:"signing_keys"`
	// UploadSecret keys the AEAD that seals upload-session ids.
	UploadSecret []byte `json:"upload_secret"`
	// AdminSecret is the bearer secret of the admin (credentials) endpoint.
	AdminSecret string `json:"admin_secret"`
}

// SigningKey is an Ed25519 key stored as its 32-byte seed.
type SigningKey struct {
	ID   string `json:"kid"`
	Seed []byte `json:"ed25519_seed"`
}

// Generate returns a fresh key file.
func Generate() (*File, error) {
	k, err := NewSigningKey()
	if err != nil {
		return nil, err
	}
	up := make([]byte, 32)
	adm := make([]byte, 32)
	if _, err := rand.Read(up); err != nil {
		return nil, err
	}
	if _, err := rand.Read(adm); err != nil {
		return nil, err
	}
	return &File{Version: 1, SigningKeys: []SigningKey{k}, UploadSecret: up, AdminSecret: base64.RawURLEncoding.EncodeToString(adm)}, nil
}

// NewSigningKey returns a new key with a kid derived from the date and randomness.
func NewSigningKey() (SigningKey, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return SigningKey{}, err
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	return SigningKey{ID: time.Now().UTC().Format("20060102") + "-" + base64.RawURLEncoding.EncodeToString(id[:]), Seed: seed}, nil
}

// Load reads and validates a key file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("key file %s: unsupported version %d", path, f.Version)
	}
	if len(f.SigningKeys) == 0 || len(f.UploadSecret) < 32 || len(f.AdminSecret) < 16 {
		return nil, fmt.Errorf("key file %s: needs signing_keys, a 32-byte upload_secret and an admin_secret", path)
	}
	for _, k := range f.SigningKeys {
		if len(k.Seed) != ed25519.SeedSize || k.ID == "" {
			return nil, fmt.Errorf("key file %s: key %q is not a 32-byte Ed25519 seed with a kid", path, k.ID)
		}
	}
	return &f, nil
}

// LoadOrCreate loads path, creating it with fresh keys if it does not exist.
func LoadOrCreate(path string) (*File, error) {
	f, err := Load(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return f, err
	}
	if f, err = Generate(); err != nil {
		return nil, err
	}
	if err := Save(path, f); err != nil {
		return nil, err
	}
	return f, nil
}

// Save writes f atomically with mode 0600.
func Save(path string, f *File) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keys-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// KeySet returns the token key set of the file.
func (f *File) KeySet() (*token.KeySet, error) {
	ks := make([]token.Key, 0, len(f.SigningKeys))
	for _, k := range f.SigningKeys {
		ks = append(ks, token.Key{ID: k.ID, Private: ed25519.NewKeyFromSeed(k.Seed)})
	}
	return token.NewKeySet(ks)
}

// Rotate prepends a new signing key (which signs from now on) and keeps at
// most keep keys in total (at least 2), so tokens signed by the previous
// key stay valid until they expire.
func (f *File) Rotate(keep int) (SigningKey, error) {
	keep = max(keep, 2)
	k, err := NewSigningKey()
	if err != nil {
		return SigningKey{}, err
	}
	f.SigningKeys = append([]SigningKey{k}, f.SigningKeys...)
	if len(f.SigningKeys) > keep {
		f.SigningKeys = f.SigningKeys[:keep]
	}
	return k, nil
}
