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
	"sync"
	"time"

	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
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
	KMS        *kms.Service    // for SSE-KMS and DSSE-KMS; nil disables them
	Region     string
	Now        func() time.Time
	Logger     *slog.Logger
	// RestoreDelay is how long RestoreObject takes to make an archived
	// version readable (0: DefaultRestoreDelay; negative: at once).
	RestoreDelay time.Duration
}

// Service implements S3 object semantics.
type Service struct {
	meta   meta.Store
	blobs  blob.Store
	keys   *sse.ManagedKey
	kms    *kms.Service
	region string

	bucketKeys   bucketKeys
	now          func() time.Time
	log          *slog.Logger
	restoreDelay time.Duration

	seqMu   sync.Mutex
	lastSeq uint64

	reads     readGuard
	writes    pendingWrites     // blobs written, metadata not yet committed (sweep.go)
	integrity integrityCounters // integrity.go
}

// New returns a Service. Call Recover once before serving.
func New(cfg Config) *Service {
	s := &Service{meta: cfg.Meta, blobs: cfg.Blobs, keys: cfg.ManagedKey, kms: cfg.KMS, region: cfg.Region, now: cfg.Now, log: cfg.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	switch d := cfg.RestoreDelay; {
	case d == 0:
		s.restoreDelay = DefaultRestoreDelay
	case d > 0:
		s.restoreDelay = d
	}
	return s
}

// Region is the region buckets are created in.
func (s *Service) Region() string { return s.region }

// nextSeq returns a strictly increasing sequence number based on the clock,
// so versions of a key order by write time even across restarts.
func (s *Service) nextSeq() uint64 {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	n := uint64(s.now().UnixNano())
	if n <= s.lastSeq {
		n = s.lastSeq + 1
	}
	s.lastSeq = n
	return n
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

// update runs fn in a metadata transaction, then deletes the blobs fn
// released. Released blobs are queued in the same transaction so a crash
// before their deletion is repaired by Recover.
func (s *Service) update(ctx context.Context, fn func(tx meta.Tx, release func(ids ...string) error) error) error {
	var released []string
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		released = released[:0] // fn may be retried under group commit
		return fn(tx, func(ids ...string) error {
			for _, id := range ids {
				if err := meta.QueueBlob(tx, id); err != nil {
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
	if len(released) > 0 {
		s.collect(context.WithoutCancel(ctx), s.reads.retire(released))
	}
	return nil
}

// BeginRead registers a read of object data: blobs released while it runs
// are kept until it ends. Call it before looking the version up and call
// the returned function once the data has been streamed (see readGuard).
func (s *Service) BeginRead() (end func()) {
	done := s.reads.begin()
	return func() {
		if due := done(); len(due) > 0 {
			go s.collect(context.Background(), due)
		}
	}
}

// collect deletes released blobs and their queue entries.
func (s *Service) collect(ctx context.Context, ids []string) {
	if len(ids) == 0 {
		return
	}
	var done []string
	for _, id := range ids {
		if err := s.blobs.Delete(ctx, id); err != nil {
			s.log.Warn("blob delete failed; will retry at next start", "blob", id, "err", err)
			continue
		}
		done = append(done, id)
	}
	if len(done) == 0 {
		return
	}
	if err := s.meta.Update(ctx, func(tx meta.Tx) error {
		for _, id := range done {
			if err := meta.UnqueueBlob(tx, id); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		s.log.Warn("blob gc queue update failed", "err", err)
	}
}

// Recover finishes blob deletions interrupted by a crash.
func (s *Service) Recover(ctx context.Context) error {
	var ids []string
	err := s.meta.View(ctx, func(tx meta.Tx) (err error) {
		ids, err = meta.QueuedBlobs(tx)
		return err
	})
	if err != nil {
		return err
	}
	s.collect(ctx, ids)
	return nil
}

// discard removes a blob written for a request that then failed.
func (s *Service) discard(id string) {
	if err := s.blobs.Delete(context.Background(), id); err != nil && !errors.Is(err, blob.ErrNotFound) {
		s.log.Warn("discarding blob of failed request", "blob", id, "err", err)
	}
}

func internal(err error) error {
	if err == nil {
		return nil
	}
	var e *s3err.Error
	if errors.As(err, &e) {
		return err
	}
	return s3err.InternalError.Wrap(err)
}
