package server_test

import (
	"bytes"
	"context"
	"io"
	"sync"
	"time"

	"github.com/kurastore/kura/internal/blob"
)

// memBlobs is a configured blob store (backend.Blobs) kept in memory, for
// tests about metadata, such as listings of thousands of keys, whose time
// would otherwise go to creating and syncing one file per object. Tests
// about data, durability or recovery use the file store, as the server
// does.
type memBlobs struct{ store *memStore }

func newMemBlobs() memBlobs { return memBlobs{&memStore{blobs: map[string][]byte{}}} }

func (m memBlobs) String() string { return "memory" }
func (m memBlobs) HasData(context.Context) (bool, error) {
	m.store.mu.Lock()
	defer m.store.mu.Unlock()
	return len(m.store.blobs) > 0, nil
}
func (m memBlobs) Open(context.Context) (blob.Store, error) { return m.store, nil }

// memStore is memBlobs opened: a blob.Store over a map.
type memStore struct {
	mu    sync.Mutex
	blobs map[string][]byte
}

func (m *memStore) Put(ctx context.Context, id string, r io.Reader) (int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.blobs[id]; ok {
		return 0, blob.ErrExists
	}
	m.blobs[id] = b
	return int64(len(b)), nil
}

type memReader struct{ *bytes.Reader }

func (memReader) Close() error { return nil }

func (m *memStore) Open(ctx context.Context, id string) (blob.Reader, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[id]
	if !ok {
		return nil, blob.ErrNotFound
	}
	return memReader{bytes.NewReader(b)}, nil
}

func (m *memStore) Delete(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.blobs[id]; !ok {
		return blob.ErrNotFound
	}
	delete(m.blobs, id)
	return nil
}

func (m *memStore) Walk(ctx context.Context, fn func(blob.Info) error) error {
	m.mu.Lock()
	infos := make([]blob.Info, 0, len(m.blobs))
	for id, b := range m.blobs {
		infos = append(infos, blob.Info{ID: id, Size: int64(len(b)), ModTime: time.Now()})
	}
	m.mu.Unlock()
	for _, in := range infos {
		if err := fn(in); err != nil {
			return err
		}
	}
	return nil
}
