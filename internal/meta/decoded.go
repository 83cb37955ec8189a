package meta

import (
	"bytes"
	"sync"
)

// Decoded remembers the last decoding of each record, by the record's
// exact stored bytes, for records read many times between changes (a
// bucket on every request, a KMS key several times per re-key; issue 18).
// A hit is only ever for bytes identical to those the caller read in its
// own transaction, so it can never return a stale record; Get hands out
// clones, so callers may modify what they get, as they could a fresh
// decoding. When it holds max records it starts over.
type Decoded[T any] struct {
	mu    sync.Mutex
	m     map[string]decodedEntry[T]
	max   int
	clone func(T) T
}

type decodedEntry[T any] struct {
	raw []byte
	v   T // never handed out: only its clones
}

// NewDecoded returns a Decoded of at most max records, copied by clone.
func NewDecoded[T any](max int, clone func(T) T) *Decoded[T] {
	return &Decoded[T]{m: map[string]decodedEntry[T]{}, max: max, clone: clone}
}

// Get returns a clone of the decoding of the record id whose stored bytes
// are raw, if it is the one remembered.
func (c *Decoded[T]) Get(id string, raw []byte) (T, bool) {
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if !ok || !bytes.Equal(e.raw, raw) {
		var zero T
		return zero, false
	}
	return c.clone(e.v), true
}

// Put remembers v as the decoding of the record id whose stored bytes are
// raw (both copied: the caller keeps its own).
func (c *Decoded[T]) Put(id string, raw []byte, v T) {
	e := decodedEntry[T]{raw: bytes.Clone(raw), v: c.clone(v)}
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[id] = e
	c.mu.Unlock()
}
