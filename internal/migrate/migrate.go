// Package migrate moves an embedded Kura deployment — a data directory's
// bbolt metadata file (meta.db) and blob directory (blobs/) — into another
// metadata store and blob store (PostgreSQL and an S3 or shared blob
// store, or any backend.Meta and backend.Blobs): `kura migrate`.
//
// It copies bytes, never meaning: every metadata table row by row with
// its key and value unchanged (the stores share one key layout and record
// encoding, docs/formats.md), every blob as the ciphertext it is (blobs
// are encrypted by Kura before any blob store sees them; migrate never
// decrypts one and never holds a plaintext key), and the sequence
// counters raised in the target above the source's.
//
// It is resumable: the rows are copied table by table in key order, each
// batch in one target transaction together with a checkpoint (the table's
// last key copied) kept in the target's table kura_migrate, so a run that
// is killed and started again continues after the last committed batch;
// a batch is a merge (rows missing or different in the target are
// written, rows the source does not have are deleted), so nothing is
// duplicated even where a batch is done twice. Blobs are copied by id and
// skipped when the target holds one of the same size (a blob store makes
// a blob visible only once it is complete). Blobs are copied before rows,
// so target metadata never names a blob the target lacks.
//
// It verifies at the end: every row's key and value equal in source and
// target, in both directions; every blob present with the same size and
// SHA-256 of its ciphertext; every counter above the source's.
//
// migrate never writes to the source: it opens meta.db read-only with a
// shared lock, which a running server (holding it exclusively) refuses,
// and which keeps a server from starting on it while migrate runs.
package migrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/rootkey"
	"github.com/kurastore/kura/internal/sse"
)

// TableCheckpoints is the target's table of migrate's own records: the
// migration's state and one checkpoint per source table. Kura's server
// never reads it; verification leaves it out.
const TableCheckpoints meta.Table = "kura_migrate"

// skipped are source tables not moved, with the reason.
var skipped = map[meta.Table]string{
	// A lease names the process holding it; the source's processes are
	// stopped, so its leases are stale (a server on the embedded store
	// releases them at start, one on PostgreSQL waits for them to expire).
	meta.TableLeases: "leases of the stopped server's processes",
	TableCheckpoints: "migrate's own checkpoints",
}

// Options configure a migration.
type Options struct {
	// DataDir is the source deployment's data directory: meta.db, the
	// root key (keys/root.key or KURA_ROOT_KEY) and, unless SourceBlobs
	// says otherwise, blobs/.
	DataDir string
	// SourceBlobs is the source's blob store (nil: DataDir/blobs).
	SourceBlobs backend.Blobs
	// Meta and Blobs are the target stores.
	Meta  backend.Meta
	Blobs backend.Blobs
	// VerifyOnly copies nothing: it verifies a migration done before.
	VerifyOnly bool
	// Overwrite lets a run change a target an earlier run verified:
	// copy again what differs, or bring it up to date with a source that
	// changed since. A server that ran on the target would lose what it
	// wrote, so it is off by default.
	Overwrite bool
	// Jobs is how many blobs are copied or verified at once (0: 4).
	Jobs int
	// BatchRows is how many rows one target transaction writes (0: 500).
	BatchRows int
	// Progress, if set, is called as work is done (from one goroutine at
	// a time).
	Progress func(Progress)
	// Logger receives the stores' logs (nil: discarded).
	Logger *slog.Logger
	// LockTimeout is how long to wait for meta.db's lock (0: 2s).
	LockTimeout time.Duration
}

// Progress is how far a migration is.
type Progress struct {
	Phase       string     // PhaseBlobs, PhaseRows, PhaseVerifyRows, PhaseVerifyBlobs
	Table       meta.Table // the table being copied or verified
	Rows, Total int64      // rows done and in all (the source's)
	Blobs       int64      // blobs done
	BlobsTotal  int64
	Bytes       int64 // blob bytes done
	BytesTotal  int64
}

// The phases of a migration, in order.
const (
	PhaseBlobs       = "copy blobs"
	PhaseRows        = "copy rows"
	PhaseVerifyBlobs = "verify blobs"
	PhaseVerifyRows  = "verify rows"
)

// Report says what a migration did.
type Report struct {
	Source string `json:"source"` // meta.db's path
	// Target stores, as messages name them (passwords redacted).
	TargetMeta  string `json:"targetMeta"`
	TargetBlobs string `json:"targetBlobs"`

	Tables      int                  `json:"tables"`
	Rows        int64                `json:"rows"`        // rows in the source (moved tables)
	RowsWritten int64                `json:"rowsWritten"` // rows this run wrote to the target
	RowsDeleted int64                `json:"rowsDeleted"` // target rows this run removed (not in the source)
	Skipped     map[meta.Table]int64 `json:"skippedTables,omitempty"`

	Blobs        int64 `json:"blobs"`     // blobs in the source
	BlobBytes    int64 `json:"blobBytes"` // their bytes
	BlobsCopied  int64 `json:"blobsCopied"`
	BytesCopied  int64 `json:"bytesCopied"`
	BlobsPresent int64 `json:"blobsPresent"` // already in the target with the right size (a resumed run)
	ExtraBlobs   int64 `json:"extraBlobs"`   // in the target, not in the source

	Sequences map[string]uint64 `json:"sequences"` // counter → the source's last number, raised in the target

	Resumed   bool `json:"resumed"`   // an earlier run had started this migration
	Restarted bool `json:"restarted"` // the source changed since then: the rows were merged again from the start

	BlobsTook  time.Duration `json:"blobsTook"`
	RowsTook   time.Duration `json:"rowsTook"`
	VerifyTook time.Duration `json:"verifyTook"`

	// Repaired counts rows and blobs found different by verification
	// and copied again (a target changed after an earlier run).
	Repaired int `json:"repaired,omitempty"`

	Verified   bool       `json:"verified"`
	Mismatches []Mismatch `json:"mismatches,omitempty"` // at most maxMismatches
	More       int        `json:"moreMismatches,omitempty"`
}

// Mismatch is a difference verification found between source and target.
type Mismatch struct {
	Table   meta.Table `json:"table,omitempty"`
	Key     []byte     `json:"key,omitempty"`
	Blob    string     `json:"blob,omitempty"`
	Counter string     `json:"counter,omitempty"`
	Problem string     `json:"problem"`
}

func (m Mismatch) String() string {
	switch {
	case m.Blob != "":
		return fmt.Sprintf("blob %s: %s", m.Blob, m.Problem)
	case m.Counter != "":
		return fmt.Sprintf("counter %s: %s", m.Counter, m.Problem)
	}
	return fmt.Sprintf("table %s, key %q: %s", m.Table, m.Key, m.Problem)
}

// maxMismatches caps the mismatches a Report lists.
const maxMismatches = 100

// VerifyError is Run's error when source and target differ.
type VerifyError struct {
	Report *Report
	// VerifiedBefore is when an earlier run verified the target (zero:
	// never): it differs since, so something changed it.
	VerifiedBefore time.Time
}

func (e *VerifyError) Error() string {
	n := len(e.Report.Mismatches) + e.Report.More
	first := e.Report.Mismatches[0]
	msg := fmt.Sprintf("verification failed: the target differs from the source in %d places, the first: %s. ", n, first)
	if !e.VerifiedBefore.IsZero() {
		return msg + fmt.Sprintf("The target was verified at %s and changed since: if a server has run on it, it is no longer a copy of the source and must not be overwritten; "+
			"if it was damaged, run kura migrate again with --overwrite to copy the rows and blobs that differ again", e.VerifiedBefore.Format(time.RFC3339))
	}
	return msg + "Run kura migrate again without --verify-only: it copies the rows and blobs that differ again"
}

// ErrSourceInUse means a server holds the source's meta.db.
var ErrSourceInUse = errors.New("meta.db is locked by another process: is a Kura server running on this data directory? Stop it first: kura migrate moves a stopped deployment")

// Run migrates (or, with VerifyOnly, verifies) and returns its report.
// A verification that finds differences returns the report and a
// *VerifyError.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Jobs <= 0 {
		o.Jobs = 4
	}
	if o.BatchRows <= 0 {
		o.BatchRows = 500
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SourceBlobs == nil {
		o.SourceBlobs = backend.File(filepath.Join(o.DataDir, "blobs"))
	}
	if o.Progress == nil {
		o.Progress = func(Progress) {}
	}
	src, err := openSource(ctx, o)
	if err != nil {
		return nil, err
	}
	defer src.meta.Close()
	r := &Report{Source: src.meta.Path(), TargetMeta: o.Meta.String(), TargetBlobs: o.Blobs.String(), Skipped: map[meta.Table]int64{}}
	if err := sameStore(o, src); err != nil {
		return nil, err
	}
	dst, err := o.Meta.Open(ctx, o.Logger)
	if err != nil {
		return nil, fmt.Errorf("target metadata store %s: %w", o.Meta, err)
	}
	defer dst.Close()
	// Opening a blob directory creates it: a source without one (no
	// object ever written) is read as empty instead, leaving it as it is.
	var srcBlobs blob.Store = noBlobs{}
	if has, err := o.SourceBlobs.HasData(ctx); err != nil {
		return nil, fmt.Errorf("source blob store %s: %w", o.SourceBlobs, err)
	} else if has {
		if srcBlobs, err = o.SourceBlobs.Open(ctx); err != nil {
			return nil, fmt.Errorf("source blob store %s: %w", o.SourceBlobs, err)
		}
	}
	m := &migration{o: o, r: r, src: src, dst: dst, srcBlobs: srcBlobs}
	if err := m.plan(); err != nil {
		return nil, err
	}
	var verifiedBefore time.Time // when an earlier run verified the target
	if !o.VerifyOnly {
		st, err := m.begin(ctx)
		if err != nil {
			return nil, err
		}
		verifiedBefore = st.Verified
		if m.dstBlobs, err = o.Blobs.Open(ctx); err != nil {
			return nil, fmt.Errorf("target blob store %s: %w", o.Blobs, err)
		}
		start := time.Now()
		if err := m.copyBlobs(ctx); err != nil {
			return r, err
		}
		r.BlobsTook = time.Since(start)
		start = time.Now()
		if err := m.copyRows(ctx, st); err != nil {
			return r, err
		}
		if err := m.raiseSequences(ctx); err != nil {
			return r, err
		}
		r.RowsTook = time.Since(start)
	} else {
		st, found, err := readState(ctx, dst)
		if err != nil {
			return nil, err
		}
		if !found || st.Source != src.identity {
			return nil, fmt.Errorf("target %s holds no migration of %s: run kura migrate without --verify-only first", o.Meta, o.DataDir)
		}
		if m.dstBlobs, err = o.Blobs.Open(ctx); err != nil {
			return nil, fmt.Errorf("target blob store %s: %w", o.Blobs, err)
		}
	}
	start := time.Now()
	if err := m.verify(ctx); err != nil {
		return r, err
	}
	if len(r.Mismatches) > 0 && !o.VerifyOnly && (verifiedBefore.IsZero() || o.Overwrite) {
		// The target changed after an earlier run copied it (a row or
		// blob damaged or altered there): copy what differs again. A
		// target verified before may since have served: only with
		// Overwrite.
		if err := m.repair(ctx, r.Mismatches); err != nil {
			return r, err
		}
		if err := m.verify(ctx); err != nil {
			return r, err
		}
	}
	r.VerifyTook = time.Since(start)
	if len(r.Mismatches) > 0 {
		return r, &VerifyError{Report: r, VerifiedBefore: verifiedBefore}
	}
	r.Verified = true
	if err := m.finish(ctx); err != nil {
		return r, err
	}
	return r, nil
}

// migration is one run.
type migration struct {
	o        Options
	r        *Report
	src      *source
	dst      backend.MetaStore
	srcBlobs blob.Store
	dstBlobs blob.Store
	tables   []bolt.TableInfo // the tables moved
	seqs     map[string]uint64
	mismatch func(Mismatch)
}

// source is the open source deployment.
type source struct {
	meta *bolt.Store
	// identity names the deployment in the target's state: the salt of
	// its root key check, random per deployment.
	identity   string
	generation uint64
}

// openSource opens meta.db read-only and checks the root key against it:
// the migrated deployment starts with the same root key (the data keys,
// KMS key material and IAM secrets copied are sealed under it), so a
// migration without it would print a command that cannot start.
func openSource(ctx context.Context, o Options) (*source, error) {
	path := filepath.Join(o.DataDir, "meta.db")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no Kura data directory at %s (%v): is --data the stopped server's data directory?", o.DataDir, err)
	}
	ms, err := bolt.OpenWith(path, bolt.Options{ReadOnly: true, LockTimeout: o.LockTimeout, Logger: o.Logger})
	if errors.Is(err, bolt.ErrLocked) {
		return nil, ErrSourceInUse
	}
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			ms.Close()
		}
	}()
	// After an unclean stop the server would check the whole file before
	// serving it; do the same before copying it.
	if _, err := os.Stat(bolt.MarkerPath(path)); err == nil {
		problems, more, err := ms.Check(10)
		if err != nil {
			return nil, err
		}
		if len(problems) > 0 {
			return nil, &bolt.DamageError{Path: path, Problems: problems, More: more}
		}
	}
	check, found, err := rootkey.Read(ctx, ms)
	if err != nil {
		return nil, fmt.Errorf("read the root key check in %s: %w", path, err)
	}
	if !found {
		return nil, fmt.Errorf("%s has no root key check (an older Kura made it): start and stop the server on it once with this Kura, which records one, then migrate", path)
	}
	key := rootkey.Key{Source: sse.RootKeyEnv, Path: filepath.Join(o.DataDir, "keys", "root.key")}
	root, fromEnv, err := sse.LoadRootKey(key.Path)
	if !fromEnv {
		key.Source = key.Path
	}
	const again = "run kura migrate again"
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r := rootkey.Missing(key, "meta.db holds its root key check; the migrated deployment needs the same key", again)
		return nil, errors.New(r.Message("refusing to migrate", o.DataDir, "nothing was copied"))
	case err != nil:
		r := rootkey.Unusable(key, err, again)
		return nil, errors.New(r.Message("refusing to migrate", o.DataDir, "nothing was copied"))
	}
	defer clear(root)
	if r := check.Verify(root, key, path, again); r != nil {
		return nil, errors.New(r.Message("refusing to migrate", o.DataDir, "nothing was copied"))
	}
	gen, err := ms.Generation()
	if err != nil {
		return nil, err
	}
	ok = true
	return &source{meta: ms, identity: fmt.Sprintf("%x", check.Salt), generation: gen}, nil
}

// sameStore refuses a target that is the source itself.
func sameStore(o Options, src *source) error {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		return a
	}
	if abs(o.Meta.String()) == abs(src.meta.Path()) {
		return fmt.Errorf("the target metadata store %s is the source's meta.db", o.Meta)
	}
	if abs(o.Blobs.String()) == abs(o.SourceBlobs.String()) {
		return fmt.Errorf("the target blob store %s is the source's blob store", o.Blobs)
	}
	return nil
}

// plan lists what is to be moved.
func (m *migration) plan() error {
	ts, err := m.src.meta.Tables()
	if err != nil {
		return fmt.Errorf("list the tables of %s: %w", m.r.Source, err)
	}
	for _, t := range ts {
		if _, skip := skipped[t.Name]; skip {
			m.r.Skipped[t.Name] = t.Rows
			continue
		}
		m.tables = append(m.tables, t)
		m.r.Rows += t.Rows
	}
	m.r.Tables = len(m.tables)
	if m.seqs, err = m.src.meta.Sequences(); err != nil {
		return err
	}
	m.r.Sequences = m.seqs
	return nil
}

// state is the migration's record in the target (TableCheckpoints,
// key "state"; docs/formats.md, "Migration checkpoints").
type state struct {
	V          int       `json:"v"`
	Source     string    `json:"source"`     // source.identity
	DataDir    string    `json:"dataDir"`    // where the source was, for people
	Generation uint64    `json:"generation"` // the source's, when its rows were first copied
	Started    time.Time `json:"started"`
	Verified   time.Time `json:"verified,omitzero"`
}

// checkpoint is a table's progress (TableCheckpoints, key "table:NAME";
// docs/formats.md, "Migration checkpoints").
type checkpoint struct {
	V     int    `json:"v"`               // 1
	After []byte `json:"after,omitempty"` // last key copied; nil: none yet
	Done  bool   `json:"done,omitempty"`
	Rows  int64  `json:"rows"`
}

var stateKey = []byte("state")

func checkpointKey(t meta.Table) []byte { return []byte("table:" + string(t)) }

func readState(ctx context.Context, s meta.Store) (st state, found bool, err error) {
	err = s.View(ctx, func(tx meta.Tx) error {
		v, err := tx.Get(TableCheckpoints, stateKey)
		if errors.Is(err, meta.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		return json.Unmarshal(v, &st)
	})
	if err != nil {
		err = fmt.Errorf("read the migration's state in the target: %w", err)
	}
	return st, found, err
}

func putJSON(tx meta.Tx, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(TableCheckpoints, key, b)
}

// begin starts the migration, or resumes the one an earlier run started.
// A target holding anything else is refused. If the source changed since
// (a server ran on it in between), every table is merged again from its
// first key.
func (m *migration) begin(ctx context.Context) (state, error) {
	st, found, err := readState(ctx, m.dst)
	if err != nil {
		return st, err
	}
	if found {
		if st.Source != m.src.identity {
			return st, fmt.Errorf("the target %s holds a migration of another deployment (from %s): migrate into an empty store", m.o.Meta, st.DataDir)
		}
		m.r.Resumed = true
		if st.Generation == m.src.generation {
			return st, nil
		}
		if !st.Verified.IsZero() && !m.o.Overwrite {
			return st, fmt.Errorf("the target %s holds a migration of %s verified at %s, and the source has changed since (a server ran on it). "+
				"If no server has run on the target, run again with --overwrite to bring it up to date; otherwise migrate into an empty store",
				m.o.Meta, st.DataDir, st.Verified.Format(time.RFC3339))
		}
		m.r.Restarted = true
		st.Generation = m.src.generation
		st.Verified = time.Time{}
		err := m.dst.Update(ctx, func(tx meta.Tx) error {
			for _, t := range m.tables {
				if err := tx.Delete(TableCheckpoints, checkpointKey(t.Name)); err != nil {
					return err
				}
			}
			return putJSON(tx, stateKey, st)
		})
		return st, err
	}
	empty, err := m.dst.Empty(ctx)
	if err != nil {
		return st, fmt.Errorf("target metadata store %s: %w", m.o.Meta, err)
	}
	if !empty {
		return st, fmt.Errorf("the target metadata store %s already holds data that no migration of %s wrote: migrate into an empty store", m.o.Meta, m.o.DataDir)
	}
	has, err := m.o.Blobs.HasData(ctx)
	if err != nil {
		return st, fmt.Errorf("target blob store %s: %w", m.o.Blobs, err)
	}
	if has {
		return st, fmt.Errorf("the target blob store %s already holds blobs: migrate into an empty store", m.o.Blobs)
	}
	st = state{V: 1, Source: m.src.identity, DataDir: m.o.DataDir, Generation: m.src.generation, Started: time.Now().UTC()}
	err = m.dst.Update(ctx, func(tx meta.Tx) error { return putJSON(tx, stateKey, st) })
	return st, err
}

// raiseSequences makes the target's counters hand out only numbers above
// the source's (idempotent: RaiseSequence never lowers).
func (m *migration) raiseSequences(ctx context.Context) error {
	if len(m.seqs) == 0 {
		return nil
	}
	err := m.dst.Update(ctx, func(tx meta.Tx) error {
		for name, last := range m.seqs {
			if err := tx.RaiseSequence(name, last); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("raise the target's counters: %w", err)
	}
	return nil
}

// finish records that the target was verified.
func (m *migration) finish(ctx context.Context) error {
	if m.o.VerifyOnly {
		return nil
	}
	return m.dst.Update(ctx, func(tx meta.Tx) error {
		v, err := tx.Get(TableCheckpoints, stateKey)
		if err != nil {
			return err
		}
		var st state
		if err := json.Unmarshal(v, &st); err != nil {
			return err
		}
		st.Verified = time.Now().UTC()
		return putJSON(tx, stateKey, st)
	})
}

// repair copies again the tables and blobs verification found different:
// each table is merged again from its first key, each blob deleted from
// the target and copied.
func (m *migration) repair(ctx context.Context, found []Mismatch) error {
	tables := map[meta.Table]bool{}
	for _, x := range found {
		switch {
		case x.Table != "":
			tables[x.Table] = true
		case x.Blob != "":
			if err := m.dstBlobs.Delete(ctx, x.Blob); err != nil {
				return fmt.Errorf("blob %s: remove the target's copy: %w", x.Blob, err)
			}
			r, err := m.srcBlobs.Open(ctx, x.Blob)
			if err != nil {
				return fmt.Errorf("blob %s: open in the source: %w", x.Blob, err)
			}
			size := r.Size()
			r.Close()
			n, err := m.copyBlob(ctx, blob.Info{ID: x.Blob, Size: size})
			if err != nil {
				return err
			}
			m.r.BlobsCopied++
			m.r.BytesCopied += n
			m.r.Repaired++
		}
	}
	for _, t := range m.tables {
		if !tables[t.Name] {
			continue
		}
		cp := checkpoint{}
		for !cp.Done {
			before := m.r.RowsWritten + m.r.RowsDeleted
			if _, err := m.copyBatch(ctx, t.Name, &cp); err != nil {
				return fmt.Errorf("copy table %s again after key %q: %w", t.Name, cp.After, err)
			}
			m.r.Repaired += int(m.r.RowsWritten + m.r.RowsDeleted - before)
		}
	}
	return m.raiseSequences(ctx)
}

// noBlobs is a blob store that holds nothing.
type noBlobs struct{}

func (noBlobs) Put(context.Context, string, io.Reader) (int64, error) {
	return 0, errors.New("migrate: the source is read-only")
}
func (noBlobs) Open(context.Context, string) (blob.Reader, error) { return nil, blob.ErrNotFound }
func (noBlobs) Delete(context.Context, string) error              { return nil }
func (noBlobs) Walk(context.Context, func(blob.Info) error) error { return nil }
