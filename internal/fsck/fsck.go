// Package fsck checks a stopped Kura server's data directory: the metadata
// file's own consistency, and for every object version and multipart upload
// part that its blobs exist and authenticate and that the decrypted data
// matches the recorded size, ETag and checksum. It finds orphan blobs (and
// temporary files) that nothing references and, when asked, removes those
// older than a grace period.
//
// fsck never changes metadata and never deletes anything but orphans older
// than the grace period, and only with Options.Repair, and only when the
// metadata read cleanly (damaged metadata may hide the references that
// would keep a blob). It opens meta.db read-only with a shared lock, so a
// server cannot start on the directory while it runs, and fails clearly when
// a running server holds the file. It reads data keys the way the server
// does (the root key from KURA_ROOT_KEY or keys/root.key, which it never
// creates, verified against the data directory's root key check before
// anything is checked) and unseals KMS-sealed keys offline; no key or
// plaintext is written or printed.
package fsck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/blob"
	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/rootkey"
	"github.com/kurastore/kura/internal/sse"
)

// DefaultGrace is how old an orphan must be before Repair removes it.
const DefaultGrace = time.Hour

// Options say what to check and whether to repair.
type Options struct {
	DataDir string
	// Meta and Blobs are the stores to check, as kura server's --meta and
	// --blobs name them (nil: the data directory's meta.db and blobs/).
	// A shared store (PostgreSQL, a shared directory, S3) is checked
	// through meta.Store and blob.Store only: metadata read in one
	// snapshot, opened read-only. DataDir still holds the root key.
	Meta  backend.Meta
	Blobs backend.Blobs
	// Repair removes orphan blobs and temporary files older than Grace.
	// Nothing else is ever removed or changed.
	Repair bool
	Grace  time.Duration // 0: DefaultGrace
	// Progress, when set, is called as blob bytes are read, with the
	// bytes read so far and the total to read.
	Progress func(done, total int64)
	// LockTimeout is how long to wait for meta.db's lock (0: 2s).
	LockTimeout time.Duration
}

// Finding kinds beyond object.Integrity* and object.ProblemKeyDeleted.
const (
	// KindRecord: a metadata record that does not decode.
	KindRecord = "bad-record"
	// KindQueuedReferenced: a blob queued for deletion that a version or
	// part still names; the server would delete it once its grace period
	// has passed.
	KindQueuedReferenced = "queued-but-referenced"
	// KindDanglingPart: a part whose upload record is gone; its blob is
	// kept (and counted as referenced) but cannot be verified.
	KindDanglingPart = "dangling-part"
)

// Finding is one problem fsck found.
type Finding struct {
	Kind      string `json:"kind"`
	Bucket    string `json:"bucket,omitempty"`
	Key       string `json:"key,omitempty"`
	VersionID string `json:"versionId,omitempty"`
	UploadID  string `json:"uploadId,omitempty"`
	Part      int    `json:"part,omitempty"`
	Blob      string `json:"blob,omitempty"`
	Detail    string `json:"detail"`
}

// Orphan is a blob or temporary file that nothing references.
type Orphan struct {
	Blob     string    `json:"blob"` // blob id, or temporary file name
	Temp     bool      `json:"temp,omitempty"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	// Young: modified within the grace period, so kept even with Repair.
	Young   bool `json:"young,omitempty"`
	Removed bool `json:"removed,omitempty"`
}

// MetaCheck is the result of bbolt's consistency check of meta.db.
type MetaCheck struct {
	OK       bool     `json:"ok"`
	Problems []string `json:"problems,omitempty"`
	More     int      `json:"more,omitempty"` // problems beyond those listed
}

// Report is everything fsck found and did.
type Report struct {
	DataDir string `json:"dataDir"`
	// MetaStore and BlobStore name the stores checked when they are not
	// the data directory's (passwords redacted).
	MetaStore string        `json:"metaStore,omitempty"`
	BlobStore string        `json:"blobStore,omitempty"`
	Started   time.Time     `json:"started"`
	Took      time.Duration `json:"tookNs"`
	Repair    bool          `json:"repair"`
	Grace     time.Duration `json:"graceNs"`
	MetaDB    MetaCheck     `json:"metaDB"`
	Versions  int           `json:"versions"` // object versions with data
	Parts     int           `json:"uploadParts"`
	// Decrypted counts versions and parts whose data was decrypted and
	// compared in full; HeaderOnly those checked without their key
	// (SSE-C: presence, blob header and length).
	Decrypted  int   `json:"decrypted"`
	HeaderOnly int   `json:"headerOnly"`
	Blobs      int   `json:"blobs"`
	BlobBytes  int64 `json:"blobBytes"`
	Queued     int   `json:"queuedForDeletion"`
	// Damage is data that is lost, damaged or unreadable, or metadata
	// that is inconsistent: any entry makes the check fail.
	Damage []Finding `json:"damage"`
	// Warnings are worth knowing but are not damage: data whose KMS key
	// was deleted, dangling parts.
	Warnings []Finding `json:"warnings"`
	Orphans  []Orphan  `json:"orphans"`
	// OrphansUnknown is set when the metadata could not be read in full:
	// then nothing can be called an orphan, and nothing is removed.
	OrphansUnknown bool  `json:"orphansUnknown,omitempty"`
	OrphanBytes    int64 `json:"orphanBytes"`
	Removed        int   `json:"removed"`
	RemovedBytes   int64 `json:"removedBytes"`
}

// Damaged reports whether the check found damage.
func (r *Report) Damaged() bool { return !r.MetaDB.OK || len(r.Damage) > 0 }

// ErrLocked means a running server holds meta.db.
var ErrLocked = errors.New("meta.db is locked by another process: is a Kura server running on this data directory? Stop it first: fsck checks a stopped server's data")

// Run checks opts.DataDir and, with opts.Repair, removes old orphans. It
// returns an error only when it could not check (no data dir, no root
// key, meta.db locked); damage is in the Report.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	r := &Report{DataDir: opts.DataDir, Started: time.Now().UTC(), Repair: opts.Repair, Grace: opts.Grace,
		Damage: []Finding{}, Warnings: []Finding{}, Orphans: []Orphan{}}
	defer func() { r.Took = time.Since(r.Started) }()

	ms, metaName, err := openMeta(ctx, r, opts)
	if err != nil || ms == nil {
		return r, err // ms nil: meta.db is damaged, and r says how
	}
	defer ms.Close()
	root, err := checkRootKey(ctx, r, ms, metaName, opts.DataDir)
	if err != nil {
		return nil, err
	}
	defer clear(root)

	// The embedded store's own consistency check; a database checks its
	// own pages, and a damaged row shows below as a record that does not
	// decode.
	r.MetaDB.OK = true
	if c, ok := ms.(interface {
		Check(max int) ([]string, int, error)
	}); ok {
		problems, more, err := c.Check(100)
		if err != nil {
			problems = append(problems, err.Error())
		}
		r.MetaDB = MetaCheck{OK: len(problems) == 0, Problems: problems, More: more}
	}

	blobs, err := openBlobs(ctx, r, opts)
	if err != nil {
		return nil, err
	}
	managed, err := sse.NewManagedKey("sse-s3-1", sse.DeriveKey(root, "kura sse-s3 managed key v1"))
	if err != nil {
		return nil, err
	}
	keys, err := kms.New(kms.Config{Meta: ms, RootKey: root, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	objs := object.New(object.Config{Meta: ms, Blobs: blobs, ManagedKey: managed, KMS: keys, Logger: slog.New(slog.DiscardHandler)})

	listed := map[string]blob.Info{}
	if err := blobs.Walk(ctx, func(b blob.Info) error {
		listed[b.ID] = b
		r.Blobs++
		r.BlobBytes += b.Size
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}

	c := &checker{ctx: ctx, r: r, objs: objs, referenced: map[string]bool{}, total: r.BlobBytes, progress: opts.Progress}
	err = ms.View(ctx, func(tx meta.Tx) error { return meta.WalkData(tx, c.record) })
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.Damage = append(r.Damage, Finding{Kind: KindRecord, Detail: fmt.Sprintf("reading the metadata stopped: %v", err)})
		r.OrphansUnknown = true
	}
	if !r.MetaDB.OK {
		r.OrphansUnknown = true
	}
	if opts.Progress != nil {
		opts.Progress(c.total, c.total) // orphans are not read: the bar ends full
	}
	c.checkQueue()
	if !r.OrphansUnknown {
		if err := findOrphans(ctx, r, blobs, listed, c.referenced, opts); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// openMeta opens the metadata store read-only: opts.Meta, or the data
// directory's meta.db. It returns a nil store (and no error) when meta.db
// is damaged beyond opening: r records it.
func openMeta(ctx context.Context, r *Report, opts Options) (meta.Store, string, error) {
	m := opts.Meta
	if m == nil {
		path := filepath.Join(opts.DataDir, "meta.db")
		if _, err := os.Stat(path); err != nil {
			return nil, "", fmt.Errorf("no Kura data directory at %s (%v): is --data the server's data directory?", opts.DataDir, err)
		}
		ms, err := bolt.OpenWith(path, bolt.Options{ReadOnly: true, LockTimeout: opts.LockTimeout,
			Logger: slog.New(slog.DiscardHandler)})
		var de *bolt.DamageError
		switch {
		case errors.Is(err, bolt.ErrLocked):
			return nil, "", ErrLocked
		case errors.As(err, &de):
			r.MetaDB.Problems = de.Problems
			r.OrphansUnknown = true
			return nil, "", nil
		case err != nil:
			return nil, "", err
		}
		return ms, path, nil
	}
	r.MetaStore = m.String()
	if ok, err := m.HasData(ctx); err != nil {
		return nil, "", fmt.Errorf("metadata store %s: %w", m, err)
	} else if !ok {
		return nil, "", fmt.Errorf("the metadata store %s holds no Kura data: is --meta the servers' --meta?", m)
	}
	ms, err := m.OpenReadOnly(ctx, slog.New(slog.DiscardHandler))
	if errors.Is(err, bolt.ErrLocked) {
		return nil, "", ErrLocked
	}
	if err != nil {
		return nil, "", err // it names the store
	}
	return ms, m.String(), nil
}

// openBlobs opens opts.Blobs, or the data directory's blobs/ (whose
// absence is damage: every object's data is missing).
func openBlobs(ctx context.Context, r *Report, opts Options) (blob.Store, error) {
	if opts.Blobs != nil {
		r.BlobStore = opts.Blobs.String()
		b, err := opts.Blobs.Open(ctx)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	dir := filepath.Join(opts.DataDir, "blobs")
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		r.Damage = append(r.Damage, Finding{Kind: object.IntegrityMissing, Detail: "there is no blob directory " + dir + ": every object's data is missing"})
	}
	return blobfs.Open(dir)
}

// KeyError is Run's refusal to check with a root key that is missing, is
// unusable or is not the one the data directory was created with: with a
// wrong key every object would look damaged.
type KeyError struct {
	DataDir string
	*rootkey.Refusal
}

func (e *KeyError) Error() string {
	return e.Refusal.Message("cannot check", e.DataDir, "nothing was checked")
}

// runAgain is what a refusal asks the operator to do once the key is right.
const runAgain = "run kura fsck again"

// checkRootKey loads the root key the way the server does (KURA_ROOT_KEY,
// else keys/root.key), never creating one, and verifies it against the
// data directory's root key check before anything is checked. A check
// that cannot be read is damage (reported in r); a directory from before
// the check has none, and its objects' own authentication tells.
func checkRootKey(ctx context.Context, r *Report, ms meta.Store, metaName, dataDir string) ([]byte, error) {
	key := rootkey.Key{Source: sse.RootKeyEnv, Path: filepath.Join(dataDir, "keys", "root.key")}
	check, found, err := rootkey.Read(ctx, ms)
	if err != nil {
		r.Damage = append(r.Damage, Finding{Kind: KindRecord, Detail: fmt.Sprintf("the root key check cannot be read, so the root key was not verified: %v", err)})
	}
	root, fromEnv, err := sse.LoadRootKey(key.Path)
	if !fromEnv {
		key.Source = key.Path
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		evidence := metaName + " exists"
		if found {
			evidence = metaName + " holds its root key check"
		}
		return nil, &KeyError{dataDir, rootkey.Missing(key, evidence+"; fsck needs the key to check encrypted data", runAgain)}
	case err != nil:
		return nil, &KeyError{dataDir, rootkey.Unusable(key, err, runAgain)}
	}
	if found {
		if refusal := check.Verify(root, key, metaName, runAgain); refusal != nil {
			clear(root)
			return nil, &KeyError{dataDir, refusal}
		}
	}
	return root, nil
}

// checker verifies the records WalkData reports.
type checker struct {
	ctx        context.Context
	r          *Report
	objs       *object.Service
	referenced map[string]bool
	queued     []string
	done       int64
	total      int64
	progress   func(done, total int64)
}

func (c *checker) tick(n int64) {
	c.done += n
	if c.progress != nil {
		c.progress(min(c.done, c.total), c.total)
	}
}

func (c *checker) record(rec meta.DataRecord) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	switch {
	case rec.Err != nil:
		c.r.Damage = append(c.r.Damage, Finding{Kind: KindRecord, Detail: rec.Err.Error()})
	case rec.Version != nil:
		v := rec.Version
		c.r.Versions++
		for _, id := range v.BlobIDs() {
			c.referenced[id] = true
		}
		vr := c.objs.VerifyVersion(c.ctx, v, c.tick)
		c.count(vr)
		for _, p := range vr.Problems {
			c.add(p, Finding{Bucket: v.Bucket, Key: v.Key, VersionID: v.VersionID})
		}
	case rec.Part != nil:
		p := rec.Part
		c.r.Parts++
		c.referenced[p.BlobID] = true
		if rec.Upload == nil {
			c.r.Warnings = append(c.r.Warnings, Finding{Kind: KindDanglingPart, Part: p.Number, Blob: p.BlobID,
				Detail: "a part whose upload record is gone; its blob is kept"})
			return nil
		}
		u := rec.Upload
		vr := c.objs.VerifyPart(c.ctx, u, p, c.tick)
		c.count(vr)
		for _, pr := range vr.Problems {
			c.add(pr, Finding{Bucket: u.Bucket, Key: u.Key, UploadID: u.UploadID})
		}
	case rec.Queued != "":
		c.r.Queued++
		c.queued = append(c.queued, rec.Queued)
	}
	return nil
}

func (c *checker) count(vr object.Verification) {
	if vr.Decrypted {
		c.r.Decrypted++
	} else if len(vr.Problems) == 0 {
		c.r.HeaderOnly++
	}
}

func (c *checker) add(p object.Problem, f Finding) {
	f.Kind, f.Part, f.Blob, f.Detail = p.Kind, p.Part, p.BlobID, p.Detail
	if p.Kind == object.ProblemKeyDeleted {
		c.r.Warnings = append(c.r.Warnings, f)
		return
	}
	c.r.Damage = append(c.r.Damage, f)
}

// checkQueue reports blobs queued for deletion that a version or part
// still names: the server deletes queued blobs after their grace period.
func (c *checker) checkQueue() {
	for _, id := range c.queued {
		if c.referenced[id] {
			c.r.Damage = append(c.r.Damage, Finding{Kind: KindQueuedReferenced, Blob: id,
				Detail: "queued for deletion but still named by a version or part: the server deletes it once its grace period has passed"})
		}
		c.referenced[id] = true
	}
}

// tempFiles is a blob store that keeps partial writes as files
// (internal/blob/fs).
type tempFiles interface {
	TempFiles() ([]blob.Info, error)
	RemoveTemp(name string) error
}

// findOrphans lists unreferenced blobs and temporary files and, with
// Repair, removes those older than the grace period.
func findOrphans(ctx context.Context, r *Report, blobs blob.Store, listed map[string]blob.Info, referenced map[string]bool, opts Options) error {
	cutoff := time.Now().Add(-opts.Grace)
	for id, b := range listed {
		if referenced[id] {
			continue
		}
		r.Orphans = append(r.Orphans, Orphan{Blob: id, Size: b.Size, Modified: b.ModTime.UTC(), Young: !b.ModTime.Before(cutoff)})
	}
	// A directory's partial writes (an S3 store has none to list: an
	// unfinished upload is not an object).
	tf, _ := blobs.(tempFiles)
	var temps []blob.Info
	if tf != nil {
		var err error
		if temps, err = tf.TempFiles(); err != nil {
			return err
		}
	}
	for _, t := range temps {
		r.Orphans = append(r.Orphans, Orphan{Blob: t.ID, Temp: true, Size: t.Size, Modified: t.ModTime.UTC(), Young: !t.ModTime.Before(cutoff)})
	}
	slices.SortFunc(r.Orphans, func(a, b Orphan) int { return strings.Compare(a.Blob, b.Blob) })
	for i := range r.Orphans {
		o := &r.Orphans[i]
		r.OrphanBytes += o.Size
		if !opts.Repair || o.Young {
			continue
		}
		var err error
		if o.Temp {
			err = tf.RemoveTemp(o.Blob)
		} else {
			err = blobs.Delete(ctx, o.Blob)
		}
		if err != nil {
			return fmt.Errorf("remove orphan %s: %w", o.Blob, err)
		}
		o.Removed = true
		r.Removed++
		r.RemovedBytes += o.Size
	}
	return nil
}
