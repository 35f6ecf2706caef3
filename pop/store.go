package pop

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// store keeps what Docker cannot hold: CREATED containers, IP reservations
// (inside the container records), metadata, and the networks we own.
// Docker says what state things are in; the store says what we own.
type store interface {
	// commit writes and deletes container records in one transaction.
	commit(ops []storeOp) error
	putNetwork(n Network) error
	deleteNetwork(name string) error
	load() ([]Container, []Network, error)
	close() error
}

var (
	bucketContainers = []byte("containers")
	bucketNetworks   = []byte("networks")
)

type boltStore struct{ db *bolt.DB }

func openBoltStore(path string) (*boltStore, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, Wrap(ErrUnavailable, err, "store %s", path)
	}
	// A second process on the same file would hand out the same IPs: the
	// file lock makes that a clear error instead.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, Wrap(ErrUnavailable, err, "open store %s (is another Pop using it?)", path)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketContainers, bucketNetworks} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, Wrap(ErrUnavailable, err, "init store %s", path)
	}
	return &boltStore{db: db}, nil
}

func (s *boltStore) put(bucket []byte, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// Batch coalesces concurrent writers into one fsync.
	err = s.db.Batch(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).Put([]byte(key), data)
	})
	if err != nil {
		return Wrap(ErrUnavailable, err, "store %s %s", bucket, key)
	}
	return nil
}

func (s *boltStore) del(bucket []byte, key string) error {
	err := s.db.Batch(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).Delete([]byte(key))
	})
	if err != nil {
		return Wrap(ErrUnavailable, err, "store delete %s %s", bucket, key)
	}
	return nil
}

func (s *boltStore) putNetwork(n Network) error      { return s.put(bucketNetworks, n.Name, n) }
func (s *boltStore) deleteNetwork(name string) error { return s.del(bucketNetworks, name) }
func (s *boltStore) close() error                    { return s.db.Close() }

// commit is one Update: one fsync for every record the writer gathered.
func (s *boltStore) commit(ops []storeOp) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContainers)
		for _, op := range ops {
			var err error
			if op.data == nil {
				err = b.Delete([]byte(op.id))
			} else {
				err = b.Put([]byte(op.id), op.data)
			}
			if err != nil {
				return fmt.Errorf("record %s: %w", op.id, err)
			}
		}
		return nil
	})
	if err != nil {
		return Wrap(ErrUnavailable, err, "store commit of %d records", len(ops))
	}
	return nil
}

func (s *boltStore) load() ([]Container, []Network, error) {
	var cs []Container
	var ns []Network
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketContainers).ForEach(func(k, v []byte) error {
			var c Container
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("container %s: %w", k, err)
			}
			cs = append(cs, c)
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketNetworks).ForEach(func(k, v []byte) error {
			var n Network
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("network %s: %w", k, err)
			}
			ns = append(ns, n)
			return nil
		})
	})
	if err != nil {
		return nil, nil, Wrap(ErrUnavailable, err, "load store")
	}
	return cs, ns, nil
}

// memStore keeps state for the life of the process only.
type memStore struct {
	mu    sync.Mutex
	conts map[string]Container
	nets  map[string]Network
}

func newMemStore() *memStore {
	return &memStore{conts: map[string]Container{}, nets: map[string]Network{}}
}

func (m *memStore) commit(ops []storeOp) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, op := range ops {
		if op.data == nil {
			delete(m.conts, op.id)
			continue
		}
		var c Container
		if err := json.Unmarshal(op.data, &c); err != nil {
			return Wrap(ErrInternal, err, "record %s", op.id)
		}
		m.conts[op.id] = c
	}
	return nil
}

func (m *memStore) putNetwork(n Network) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nets[n.Name] = n
	return nil
}

func (m *memStore) deleteNetwork(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.nets, name)
	return nil
}

func (m *memStore) load() ([]Container, []Network, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var cs []Container
	for _, c := range m.conts {
		cs = append(cs, c.clone())
	}
	var ns []Network
	for _, n := range m.nets {
		ns = append(ns, n)
	}
	return cs, ns, nil
}

func (m *memStore) close() error { return nil }
