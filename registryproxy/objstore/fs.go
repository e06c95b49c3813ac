package objstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// FS keeps objects as files in Dir. Create is a hard link of a fully
// written temporary file (atomic, fails if the name exists); Replace and
// Delete compare the version under an exclusive flock of the object's lock
// file. Processes sharing Dir (replicas on one host, or on a filesystem
// with working flock) see one consistent object.
type FS struct{ Dir string }

var _ Store = (*FS)(nil)

func (s *FS) path(key string) string {
	h := sha256.Sum256([]byte(key))
	return filepath.Join(s.Dir, hex.EncodeToString(h[:])+".json")
}

func version(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// Get implements Store.
func (s *FS) Get(_ context.Context, key string) ([]byte, string, error) {
	b, err := os.ReadFile(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("object %s: %w", key, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, "", err
	}
	return b, version(b), nil
}

func (s *FS) temp(data []byte) (string, error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(s.Dir, ".tmp-*")
	if err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return "", err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), f.Close()
}

// Create implements Store.
func (s *FS) Create(_ context.Context, key string, data []byte) error {
	tmp, err := s.temp(data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, s.path(key))
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("object %s: %w", key, errdefs.ErrAlreadyExists)
	}
	return err
}

// locked runs f holding the exclusive lock of key.
func (s *FS) locked(key string, f func() error) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	lf, err := os.OpenFile(s.path(key)+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := unix.Flock(int(lf.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("locking object %s: %w", key, err)
	}
	defer func() { _ = unix.Flock(int(lf.Fd()), unix.LOCK_UN) }()
	return f()
}

// Replace implements Store.
func (s *FS) Replace(ctx context.Context, key string, data []byte, ver string) error {
	return s.locked(key, func() error {
		_, cur, err := s.Get(ctx, key)
		if errdefs.IsNotFound(err) || (err == nil && cur != ver) {
			return fmt.Errorf("object %s changed: %w", key, errdefs.ErrConflict)
		}
		if err != nil {
			return err
		}
		tmp, err := s.temp(data)
		if err != nil {
			return err
		}
		if err := os.Rename(tmp, s.path(key)); err != nil {
			_ = os.Remove(tmp)
			return err
		}
		return nil
	})
}

// Delete implements Store.
func (s *FS) Delete(ctx context.Context, key, ver string) error {
	return s.locked(key, func() error {
		_, cur, err := s.Get(ctx, key)
		if errdefs.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if cur != ver {
			return fmt.Errorf("object %s changed: %w", key, errdefs.ErrConflict)
		}
		return os.Remove(s.path(key))
	})
}
