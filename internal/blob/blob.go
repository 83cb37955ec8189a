// Package blob defines the blob store: immutable byte sequences by id. It only
// ever sees ciphertext (internal/sse produces it) and knows nothing of S3.
package blob

import (
	"context"
	"errors"
	"io"
)

// ErrNotFound is returned for a blob id that does not exist.
var ErrNotFound = errors.New("blob: not found")

// ErrExists is returned by Put for an id that is already stored: blobs are
// immutable and never overwritten.
var ErrExists = errors.New("blob: already exists")

// Store holds immutable blobs.
type Store interface {
	// Put stores everything r yields under id and returns the number of bytes
	// stored. The blob becomes visible only once it is complete and durable;
	// on error nothing is left behind.
	Put(ctx context.Context, id string, r io.Reader) (int64, error)
	// Open returns a reader for random access to a stored blob.
	Open(ctx context.Context, id string) (Reader, error)
	// Delete removes a blob; deleting an absent blob is not an error.
	Delete(ctx context.Context, id string) error
	// Walk calls fn for every stored blob id, in no particular order.
	Walk(ctx context.Context, fn func(id string) error) error
}

// Reader reads one blob.
type Reader interface {
	io.ReaderAt
	io.Closer
	Size() int64
}
