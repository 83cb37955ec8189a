package object

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// Lost or damaged data is an error, never a normal answer: a version whose
// metadata names a blob that is gone, or whose blob fails authentication,
// answers 500 InternalError (not NoSuchKey, never wrong bytes), is logged at
// ERROR with what was being read, and is counted.
//
// A missing blob is loss — a file removed behind Kura's back, a disk that
// lost it, a backup restored without its blobs — with one exception: a
// read still running more than the blob grace period after an overwrite or
// delete released the blobs it reads (gc.go). Such a read fails the same
// way, which is why the grace period (an hour by default) is far longer
// than any real read.

// Kinds of integrity failure, as IntegrityErrors counts them and the log
// names them.
const (
	// IntegrityMissing: the metadata names a blob the blob store does
	// not have.
	IntegrityMissing = "missing"
	// IntegrityDamaged: the blob fails authentication (modified,
	// truncated, extended, swapped) or its sealed data key does not open,
	// or the version record contradicts itself.
	IntegrityDamaged = "damaged"
	// IntegrityUnreadable: the blob store failed to read the blob (an I/O
	// error).
	IntegrityUnreadable = "unreadable"
)

// IntegrityCounts are the integrity failures a Service has met since it
// started, by kind.
type IntegrityCounts struct {
	Missing, Damaged, Unreadable int64
}

type integrityCounters struct {
	missing, damaged, unreadable atomic.Int64
}

// BucketKeyCacheStats is the S3 Bucket Key cache's hits and misses
// (sse.Envelope.BucketKeyCacheStats).
func (s *Service) BucketKeyCacheStats() (hits, misses int64) { return s.env.BucketKeyCacheStats() }

// IntegrityErrors returns the integrity failures met so far: reads of
// object data that found a blob missing, damaged or unreadable.
func (s *Service) IntegrityErrors() IntegrityCounts {
	return IntegrityCounts{
		Missing:    s.integrity.missing.Load(),
		Damaged:    s.integrity.damaged.Load(),
		Unreadable: s.integrity.unreadable.Load(),
	}
}

// blobRef names the blob being read and the version it belongs to, for the
// report of a failure.
type blobRef struct {
	v      *kura.ObjectVersion
	id     string
	inline []byte // the version's inline ciphertext (id is then "")
	part   int    // part number; 0 for a single-part object
}

// integrityFailure counts and logs a failure to read object data and
// returns the error the request gets. The log names the object, version,
// blob and part, never key material or data.
func (s *Service) integrityFailure(ref blobRef, kind string, cause error) error {
	if errors.Is(cause, blob.ErrUnavailable) {
		// Not the data's fault: the store is unreachable (503).
		return blobStoreError(cause)
	}
	switch kind {
	case IntegrityMissing:
		s.integrity.missing.Add(1)
	case IntegrityUnreadable:
		s.integrity.unreadable.Add(1)
	default:
		kind = IntegrityDamaged
		s.integrity.damaged.Add(1)
	}
	attrs := []any{"kind", kind, "bucket", ref.v.Bucket, "key", ref.v.Key, "version", ref.v.VersionID}
	if ref.inline != nil {
		attrs = append(attrs, "inline", true)
	} else {
		attrs = append(attrs, "blob", ref.id)
	}
	if ref.part > 0 {
		attrs = append(attrs, "part", ref.part)
	}
	attrs = append(attrs, "err", cause)
	s.log.Error("object data is "+kind+": run `kura fsck` to find all damage, and restore the object from a backup", attrs...)
	return s3err.InternalError.Wrap(&IntegrityError{Kind: kind, Bucket: ref.v.Bucket, Key: ref.v.Key, VersionID: ref.v.VersionID,
		BlobID: ref.id, Inline: ref.inline != nil, Part: ref.part, Err: cause})
}

// IntegrityError is the cause inside the InternalError a read of lost or
// damaged data returns.
type IntegrityError struct {
	Kind                   string // IntegrityMissing, IntegrityDamaged or IntegrityUnreadable
	Bucket, Key, VersionID string
	BlobID                 string
	Inline                 bool // the data inline in the version record
	Part                   int
	Err                    error
}

func (e *IntegrityError) Error() string {
	what := "blob " + e.BlobID
	if e.Inline {
		what = "the inline data"
	}
	if e.Part > 0 {
		what = fmt.Sprintf("part %d (blob %s)", e.Part, e.BlobID)
	}
	return fmt.Sprintf("%s/%s version %s: %s is %s: %v", e.Bucket, e.Key, e.VersionID, what, e.Kind, e.Err)
}

func (e *IntegrityError) Unwrap() error { return e.Err }

// classify returns the kind of integrity failure err is, or "" when it is
// not one (the client went away, the context ended, the response writer
// failed).
func classify(err error) string {
	var se *sourceError
	switch {
	case err == nil, err == io.EOF:
		return ""
	case errors.Is(err, blob.ErrUnavailable):
		return "" // the store is unreachable; the data may well be intact
	case errors.Is(err, blob.ErrNotFound):
		return IntegrityMissing
	case errors.Is(err, sse.ErrAuthentication):
		return IntegrityDamaged
	case errors.As(err, &se):
		if errors.Is(se.err, context.Canceled) || errors.Is(se.err, context.DeadlineExceeded) {
			return ""
		}
		return IntegrityUnreadable
	}
	return ""
}

// blobSource marks the blob store's read errors, so that a failure while
// streaming can be told apart from one of the response writer.
type blobSource struct{ r io.ReaderAt }

// sourceError is a read error of the blob store.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return "reading blob: " + e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

func (b blobSource) ReadAt(p []byte, off int64) (int, error) {
	n, err := b.r.ReadAt(p, off)
	if err != nil && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
		err = &sourceError{err}
	}
	return n, err
}
