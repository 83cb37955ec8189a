// Package bolt is Kura's embedded metadata store: meta.Store on a single
// bbolt file.
//
// Each meta.Table is a top-level bbolt bucket, created the first time an
// Update writes to it; until then the table reads as empty. bbolt gives
// serializable transactions (one writer at a time, readers on MVCC
// snapshots), ordered cursors over raw byte keys, and crash safety through a
// copy-on-write B+tree whose commit fsyncs the file before it is reported.
//
// Update goes through bbolt's db.Batch, so concurrent Updates are committed
// together in one write transaction and share its fsyncs (group commit). A
// batch that fails because of one fn is retried without it, and the failing
// fn is then run alone: fn may therefore run more than once, as meta.Store
// allows, and in a batch it runs on a goroutine other than the caller's. An
// Update with no other Update in flight skips the batch and commits
// directly, so a lone writer does not pay the batch delay.
//
// Operational notes:
//   - The file is locked (flock) while open; a second process gets ErrLocked
//     after a short wait instead of blocking forever.
//   - After an unclean stop the whole file is checked at Open, and damage
//     met while serving is an error, not a crash (health.go).
//   - Growing the memory map needs every read transaction to finish first, so
//     a long View can stall commits while the file grows. The map is reserved
//     generously up front (1 GiB on 64-bit) to make that rare; keep Views
//     short all the same (list in pages, not whole buckets).
//   - Keys must be non-empty and at most 32 KiB (bbolt limits); Put copies
//     the value, so callers may reuse their buffers at once.
package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/kurastore/kura/internal/meta"
)

// ErrLocked is returned by Open when another process (or another Store in
// this process) holds the metadata file.
var ErrLocked = errors.New("metadata store is locked by another process")

// ErrReadOnly is returned by Put and Delete in a View transaction.
var ErrReadOnly = errors.New("meta/bolt: write in a read-only transaction")

const (
	// defaultLockTimeout is how long Open waits for the file lock.
	defaultLockTimeout = 2 * time.Second
	// maxBatchDelay is how long a batch collects Updates before it commits.
	// It only applies while another Update is in flight (a lone Update
	// commits directly). bbolt's default of 10ms idles most of the time on
	// SSDs, whose fsync takes well under that: with 16 concurrent writers
	// it gave ~1.3k txns/s against ~6.5k at 1ms (bench_test.go). On disks
	// whose fsync is much slower than this, batches come out smaller than
	// they could be; throughput then degrades towards one commit per fsync
	// but stays correct.
	maxBatchDelay = time.Millisecond
	// maxBatchSize caps the number of Updates sharing one commit.
	maxBatchSize = 1000
	// fillPercent is how full bbolt packs a page when it splits one.
	fillPercent = 0.9
)

// initialMmapSize reserves address space so that the file can grow to 1 GiB
// without remapping (a remap waits for all readers). 32-bit builds leave it
// to bbolt.
var initialMmapSize = func() int {
	if strconv.IntSize == 64 {
		return 1 << 30
	}
	return 0
}()

// Store is a meta.Store on one bbolt file. It is safe for concurrent use.
type Store struct {
	db       *bbolt.DB
	path     string
	inflight atomic.Int64 // Updates between entry and return
	log      *slog.Logger
	readOnly bool
	faults   atomic.Int64 // transactions that met a damaged page (health.go)
	suspect  atomic.Bool  // damage met: keep the marker at Close
}

var _ meta.Store = (*Store)(nil)

// Open opens or creates the metadata file at path (mode 0600), creating its
// parent directory (mode 0700) if needed. If the file is locked by another
// process Open fails after a short wait with an error wrapping ErrLocked.
// If the last process to open it did not close it, Open checks the whole
// file first and refuses a damaged one with a *DamageError (health.go).
func Open(path string) (*Store, error) {
	return OpenWith(path, Options{})
}

// OpenWith is Open with options.
func OpenWith(path string, o Options) (*Store, error) {
	if o.LockTimeout <= 0 {
		o.LockTimeout = defaultLockTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if !o.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("meta/bolt: %w", err)
		}
	}
	opts := &bbolt.Options{
		Timeout:  o.LockTimeout,
		ReadOnly: o.ReadOnly,
		// The hashmap freelist allocates in O(1) instead of scanning a
		// sorted array, which matters once the file is large and
		// fragmented. The freelist is still synced on commit, so opening
		// does not have to scan the whole file.
		FreelistType:    bbolt.FreelistMapType,
		InitialMmapSize: initialMmapSize,
	}
	if o.ReadOnly {
		opts.InitialMmapSize = 0 // nothing will grow the file
	}
	db, err := openDB(path, opts)
	if errors.Is(err, bberrors.ErrTimeout) {
		return nil, fmt.Errorf("meta/bolt: open %s: %w", path, ErrLocked)
	}
	var de *DamageError
	if errors.As(err, &de) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("meta/bolt: open %s: %w", path, err)
	}
	db.MaxBatchDelay = maxBatchDelay
	db.MaxBatchSize = maxBatchSize
	s := &Store{db: db, path: path, log: o.Logger, readOnly: o.ReadOnly}
	if !o.ReadOnly {
		if err := s.startChecked(path); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

func open(path string, lockTimeout time.Duration) (*Store, error) {
	return OpenWith(path, Options{LockTimeout: lockTimeout})
}

// Path returns the file the store was opened on.
func (s *Store) Path() string { return s.path }

// Close closes the file. Transactions must have ended. A clean Close
// removes the marker, so the next Open skips the consistency check, unless
// damage was met while the store was open.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("meta/bolt: close: %w", err)
	}
	if !s.readOnly && !s.suspect.Load() {
		// Not fsynced: if the removal is lost, the next start merely
		// runs a check it did not need.
		if err := os.Remove(MarkerPath(s.path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("meta/bolt: close: %w", err)
		}
	}
	return nil
}

// View runs fn on a read-only snapshot. It fails with ctx.Err() without
// calling fn if ctx is already done. A damaged page met on the way is an
// error wrapping ErrDamaged (health.go).
func (s *Store) View(ctx context.Context, fn func(meta.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer s.recoverDamage(&err)
	return s.db.View(func(btx *bbolt.Tx) (err error) {
		defer s.recoverDamage(&err)
		return fn(newTx(btx))
	})
}

// Update runs fn in a read-write transaction and returns once it is durable.
// Concurrent Updates share a commit; fn may run more than once. If ctx is
// done before fn starts (on any attempt) Update returns ctx.Err() and commits
// nothing of this fn; once fn has returned nil the commit is not abandoned.
// A damaged page met on the way is an error wrapping ErrDamaged.
func (s *Store) Update(ctx context.Context, fn func(meta.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer s.recoverDamage(&err)
	run := func(btx *bbolt.Tx) (err error) {
		defer s.recoverDamage(&err)
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(newTx(btx))
	}
	// A lone writer commits directly: batching only adds latency when
	// there is nobody to share the fsync with. Everyone who arrives while
	// an Update is in flight joins a batch and commits with the others.
	if s.inflight.Add(1) == 1 {
		defer s.inflight.Add(-1)
		return s.db.Update(run)
	}
	defer s.inflight.Add(-1)
	return s.db.Batch(run)
}

// tx adapts a bbolt transaction to meta.Tx.
type tx struct {
	btx *bbolt.Tx
	// buckets caches the buckets this transaction has opened; Kura has a
	// handful of tables, so a slice beats a map.
	buckets []openBucket
	// opened is buckets' first backing array: a transaction opens one to
	// three tables, and growing the slice from nil was an allocation of
	// every read (issue 18).
	opened [4]openBucket
}

// newTx wraps btx; its table handles start in the tx itself.
func newTx(btx *bbolt.Tx) *tx {
	x := &tx{btx: btx}
	x.buckets = x.opened[:0]
	return x
}

type openBucket struct {
	table meta.Table
	b     *bbolt.Bucket
}

// bucket returns the bucket of t, creating it if create is set (which
// requires a writable transaction). It returns nil, nil for a missing bucket
// when create is false.
func (x *tx) bucket(t meta.Table, create bool) (*bbolt.Bucket, error) {
	for _, ob := range x.buckets {
		if ob.table == t {
			return ob.b, nil
		}
	}
	name := []byte(t)
	b := x.btx.Bucket(name)
	if b == nil {
		if !create {
			return nil, nil
		}
		var err error
		if b, err = x.btx.CreateBucket(name); err != nil {
			return nil, fmt.Errorf("meta/bolt: create table %q: %w", t, err)
		}
	}
	// bbolt splits pages at 50% by default, which leaves key-ordered
	// inserts (time-stamped object names, bulk loads) with half-empty
	// pages. At 90% the 1M-version benchmark file is half the size (680
	// vs 1366 MiB), lists 25% faster and loads in key order 1.5-4x
	// faster; random-order loads are unchanged. The setting is per
	// transaction and only affects how pages split on commit.
	b.FillPercent = fillPercent
	x.buckets = append(x.buckets, openBucket{t, b})
	return b, nil
}

func (x *tx) Get(t meta.Table, key []byte) ([]byte, error) {
	b, err := x.bucket(t, false)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, meta.ErrNotFound
	}
	// bbolt's Bucket.Get cannot tell an empty value from a missing key
	// (both may come back nil), so look at the key the cursor lands on.
	k, v := b.Cursor().Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		return nil, meta.ErrNotFound
	}
	return nonNil(v), nil
}

func (x *tx) Put(t meta.Table, key, value []byte) error {
	if !x.btx.Writable() {
		return ErrReadOnly
	}
	b, err := x.bucket(t, true)
	if err != nil {
		return err
	}
	// bbolt keeps a reference to value until commit; copy it so the
	// caller may reuse its buffer (the key is copied by bbolt).
	v := make([]byte, len(value))
	copy(v, value)
	if err := b.Put(key, v); err != nil {
		return fmt.Errorf("meta/bolt: put %s: %w", t, err)
	}
	return nil
}

func (x *tx) Delete(t meta.Table, key []byte) error {
	if !x.btx.Writable() {
		return ErrReadOnly
	}
	b, err := x.bucket(t, false)
	if err != nil || b == nil {
		return err // deleting from a table never written is a no-op
	}
	if err := b.Delete(key); err != nil {
		return fmt.Errorf("meta/bolt: delete %s: %w", t, err)
	}
	return nil
}

func (x *tx) Cursor(t meta.Table) meta.Cursor {
	return &cursor{tx: x, table: t}
}

// cursor adapts a bbolt cursor. The bbolt cursor is opened on the first Seek
// that finds the bucket, so a cursor taken before the table's first Put in
// the same Update sees the table once it is re-sought, as meta.Cursor
// promises.
type cursor struct {
	tx    *tx
	table meta.Table
	c     *bbolt.Cursor
}

func (c *cursor) Seek(key []byte) ([]byte, []byte) {
	if c.c == nil {
		b, _ := c.tx.bucket(c.table, false) // never fails without create
		if b == nil {
			return nil, nil
		}
		c.c = b.Cursor()
	}
	k, v := c.c.Seek(key)
	if k == nil {
		return nil, nil
	}
	return k, nonNil(v)
}

func (c *cursor) Next() ([]byte, []byte) {
	if c.c == nil {
		return nil, nil
	}
	k, v := c.c.Next()
	if k == nil {
		return nil, nil
	}
	return k, nonNil(v)
}

// nonNil turns the nil bbolt may return for an empty value into an empty
// slice, so present-but-empty values never look absent.
func nonNil(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}
