// Package blob defines the blob store: immutable byte sequences by id. It only
// ever sees ciphertext (internal/sse produces it) and knows nothing of S3.
package blob

import (
	"context"
	"errors"
	"io"
	"time"
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
	// Walk calls fn for every stored blob, in no particular order. Blobs
	// stored or deleted during the walk may or may not be reported; an
	// error from fn stops the walk and is returned.
	Walk(ctx context.Context, fn func(Info) error) error
}

// Info describes a stored blob, as Walk reports it.
type Info struct {
	ID   string
	Size int64 // bytes stored
	// ModTime is when the blob was written. The orphan sweep removes an
	// unreferenced blob only once it is older than a grace period, so a
	// backend may report a later time (a restored copy stamped "now" is
	// fine) but never an earlier one.
	ModTime time.Time
}

// Reader reads one blob.
type Reader interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// TempRemover is implemented by blob stores that keep partial writes
// apart from the blobs (a directory's temporary files). RemoveStaleTemp
// removes those last modified more than olderThan ago, all of them for
// olderThan <= 0 — safe only while no Put is running on the store in any
// process — and returns how many it removed.
type TempRemover interface {
	RemoveStaleTemp(olderThan time.Duration) (int, error)
}

// ErrUnavailable marks a failure to reach a remote blob store (a network
// error, the store answering 5xx or throttling): the request may succeed
// if retried, and the S3 layer answers 503 ServiceUnavailable rather than
// 500 InternalError. A blob store wraps it (errors.Is finds it) together
// with its own error.
var ErrUnavailable = errors.New("blob: store unavailable")
