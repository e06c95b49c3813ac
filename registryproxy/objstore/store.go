package objstore

import "context"

// Store keeps objects with conditional writes. Versions are opaque.
type Store interface {
	// Get returns an object and its version; errdefs.ErrNotFound if absent.
	Get(ctx context.Context, key string) ([]byte, string, error)
	// Create writes an absent object; errdefs.ErrAlreadyExists otherwise.
	Create(ctx context.Context, key string, data []byte) error
	// Replace overwrites an object still at version; errdefs.ErrConflict otherwise.
	Replace(ctx context.Context, key string, data []byte, version string) error
	// Delete removes an object still at version; errdefs.ErrConflict if it
	// changed, nil if it is gone.
	Delete(ctx context.Context, key, version string) error
}
