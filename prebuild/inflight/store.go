package inflight

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/containerd/errdefs"
	bolt "go.etcd.io/bbolt"

	"github.com/devcache/devcache/prebuild/phase"
)

var bucket = []byte("prebuilds")

// Store keeps in-flight records in a bbolt file.
type Store struct {
	path string
}

var _ phase.Store = (*Store)(nil)

// Open returns the store of the state directory dir (created if needed).
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Store{path: filepath.Join(dir, "prebuilds.db")}, nil
}

func (s *Store) update(fn func(*bolt.Bucket) error) error {
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("opening %s: %w", s.path, err)
	}
	defer db.Close()
	return db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		return fn(b)
	})
}

// Put saves r.
func (s *Store) Put(_ context.Context, r phase.Record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.update(func(b *bolt.Bucket) error { return b.Put([]byte(r.ID), v) })
}

// Get returns the record of id.
func (s *Store) Get(_ context.Context, id string) (phase.Record, error) {
	var r phase.Record
	found := false
	err := s.update(func(b *bolt.Bucket) error {
		v := b.Get([]byte(id))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &r)
	})
	if err == nil && !found {
		err = fmt.Errorf("prebuild %s: %w", id, errdefs.ErrNotFound)
	}
	return r, err
}

// List returns every record, oldest id first.
func (s *Store) List(_ context.Context) ([]phase.Record, error) {
	var out []phase.Record
	err := s.update(func(b *bolt.Bucket) error {
		return b.ForEach(func(_, v []byte) error {
			var r phase.Record
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// Delete forgets id (no error when it is not there).
func (s *Store) Delete(_ context.Context, id string) error {
	return s.update(func(b *bolt.Bucket) error { return b.Delete([]byte(id)) })
}
