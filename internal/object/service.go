// Package object implements S3 object semantics — buckets, versions, delete
// markers, multipart uploads, listings, tags — on top of a metadata store and
// a blob store. Data is always encrypted before it reaches the blob store;
// this package never writes plaintext and never logs keys.
package object

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/sse"
)

// Limits S3 enforces.
const (
	MaxObjectSize   = 5 << 40 // 5 TiB
	MaxPutSize      = 5 << 30 // single PUT / part: 5 GiB
	MinPartSize     = 5 << 20 // every part but the last
	MaxParts        = 10000
	MaxKeyLength    = 1024
	MaxUserMetadata = 2 << 10
)

// Config wires a Service.
type Config struct {
	Meta       meta.Store
	Blobs      blob.Store
	ManagedKey *sse.ManagedKey // SSE-S3 wrapping key
	// KMS seals data keys for SSE-KMS and DSSE-KMS: the built-in KMS
	// (internal/kms), which the server wires in; nil disables them.
	KMS    sse.KeyService
	Region string
	Now    func() time.Time
	Logger *slog.Logger
	// RestoreDelay is how long RestoreObject takes to make an archived
	// version readable (0: DefaultRestoreDelay; negative: at once).
	RestoreDelay time.Duration
	// BlobGrace is how long a blob released by an overwrite or delete is
	// kept before CollectBlobs deletes it, so that reads which looked its
	// version up before the release can finish (0: deleted as soon as the
	// release is durable, which tests want; see gc.go).
	BlobGrace time.Duration
	// InlineMax is the largest single-part object (plaintext bytes) stored
	// in its version record instead of a blob (0: DefaultInlineMax;
	// negative: none, every object gets a blob). See docs/architecture.md,
	// "Small objects inline".
	InlineMax int64
}

// DefaultInlineMax is the inline threshold by default (Config.InlineMax).
// MaxInlineMax caps it: a version record is read whole by every listing
// that passes it, and rewritten whole by every change to its metadata.
const (
	DefaultInlineMax = 64 << 10
	MaxInlineMax     = 1 << 20
)

// Service implements S3 object semantics.
type Service struct {
	meta   meta.Store
	blobs  blob.Store
	env    *sse.Envelope // data keys and their seals (sse/envelope.go)
	region string

	now          func() time.Time
	log          *slog.Logger
	restoreDelay time.Duration
	blobGrace    time.Duration // gc.go
	inlineMax    int64         // put.go; 0: no inline objects

	writes    pendingWrites     // blobs written, metadata not yet committed (sweep.go)
	integrity integrityCounters // integrity.go
}

// New returns a Service. Call Recover once before serving.
func New(cfg Config) *Service {
	s := &Service{meta: cfg.Meta, blobs: cfg.Blobs, region: cfg.Region, now: cfg.Now, log: cfg.Logger,
		blobGrace: max(cfg.BlobGrace, 0)}
	if s.now == nil {
		s.now = time.Now
	}
	s.env = sse.NewEnvelope(sse.EnvelopeConfig{Managed: cfg.ManagedKey, KMS: cfg.KMS, Region: cfg.Region, Now: s.now})
	if s.log == nil {
		s.log = slog.Default()
	}
	switch m := cfg.InlineMax; {
	case m == 0:
		s.inlineMax = DefaultInlineMax
	case m > 0:
		s.inlineMax = min(m, MaxInlineMax)
	}
	switch d := cfg.RestoreDelay; {
	case d == 0:
		s.restoreDelay = DefaultRestoreDelay
	case d > 0:
		s.restoreDelay = d
	}
	return s
}

// InlineMax is the largest object stored inline in its version record (0:
// none).
func (s *Service) InlineMax() int64 { return s.inlineMax }

// Region is the region buckets are created in.
func (s *Service) Region() string { return s.region }

// allocate gives v, a new newest version of its key, its sequence number
// and version id, in the transaction that installs it (meta.NextVersionSeq:
// the store's counter, above the key's newest version). Version order is
// decided by the commit, not by a clock; LastModified stays the clock's.
// Call it inside the transaction's fn: when fn runs again (group commit),
// v gets new ones, and the run that commits is the one v keeps.
func allocate(tx meta.Tx, v *kura.ObjectVersion) error {
	seq, err := meta.NextVersionSeq(tx, v.Bucket, v.Key)
	if err != nil {
		return err
	}
	v.Seq, v.VersionID = seq, newVersionID(seq)
	return nil
}

// newVersionID returns an opaque version id that encodes seq, so a version
// can be found by id with one lookup.
func newVersionID(seq uint64) string {
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(seq >> (56 - 8*i))
	}
	rand.Read(b[8:])
	return hex.EncodeToString(b[:])
}

// seqOfVersionID recovers the seq from a version id made by newVersionID.
func seqOfVersionID(id string) (uint64, bool) {
	if len(id) != 32 {
		return 0, false
	}
	b, err := hex.DecodeString(id)
	if err != nil {
		return 0, false
	}
	var seq uint64
	for i := 0; i < 8; i++ {
		seq = seq<<8 | uint64(b[i])
	}
	return seq, true
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newBlobID returns a fresh blob id; the time prefix keeps ids roughly
// ordered, which helps debugging and future garbage collection.
func (s *Service) newBlobID() string {
	return s.now().UTC().Format("20060102T150405") + "-" + newID()
}

// now returns the current time truncated as S3 reports it (milliseconds).
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// update runs fn in a metadata transaction. The blobs fn releases are
// queued for deletion in the same transaction, with the time of release,
// so no crash can lose track of them; they are deleted once their grace
// period has passed (gc.go), at once after the commit when there is none.
func (s *Service) update(ctx context.Context, fn func(tx meta.Tx, release func(ids ...string) error) error) error {
	var released []string
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		released = released[:0] // fn may be retried under group commit
		at := s.now()
		return fn(tx, func(ids ...string) error {
			for _, id := range ids {
				if err := meta.QueueBlob(tx, id, at); err != nil {
					return err
				}
				released = append(released, id)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if len(released) > 0 && s.blobGrace == 0 {
		s.collect(context.WithoutCancel(ctx), released)
	}
	return nil
}

// discard removes a blob written for a request that then failed.
func (s *Service) discard(id string) {
	if id == "" {
		return // an inline write: no blob
	}
	if err := s.blobs.Delete(context.Background(), id); err != nil && !errors.Is(err, blob.ErrNotFound) {
		s.log.Warn("discarding blob of failed request", "blob", id, "err", err)
	}
}
