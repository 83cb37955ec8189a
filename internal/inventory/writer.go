package inventory

import (
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/metrics"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
)

// Defaults of a Writer.
const (
	// DefaultPageSize is how many versions one read transaction reads.
	DefaultPageSize = 1000
	// DefaultRowsPerFile bounds a data file: S3 splits a large report
	// into several files, and so does Kura, at this many rows.
	DefaultRowsPerFile = 1_000_000
)

// ServicePrincipal is who delivers reports, as the destination bucket's
// policy must name it.
const ServicePrincipal = "s3.amazonaws.com"

// Config wires a Writer.
type Config struct {
	Objects *object.Service
	// Policies parses bucket policies (nil: a cache of its own).
	Policies *policy.Cache
	// CanonicalID maps an account to its S3 canonical user id, for the
	// ObjectOwner and ObjectAccessControlList columns (nil: the account
	// id is written).
	CanonicalID func(ctx context.Context, account string) (string, error)
	Audit       *audit.Log       // nil: no audit trail (tests)
	Metrics     metrics.Observer // nil: not counted
	Region      string
	Logger      *slog.Logger
	Now         func() time.Time // nil: time.Now
	PageSize    int              // 0: DefaultPageSize
	RowsPerFile int              // 0: DefaultRowsPerFile
	// LifecycleDay is the length of a lifecycle day, for the
	// LifecycleExpirationDate column (0: 24h).
	LifecycleDay time.Duration
}

// Writer produces inventory reports. It is safe for concurrent use; two
// reports of one configuration at once both deliver, each in its own
// folder when they start in different minutes.
type Writer struct {
	cfg Config
}

// New returns a Writer.
func New(cfg Config) *Writer {
	if cfg.Policies == nil {
		cfg.Policies = &policy.Cache{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.RowsPerFile <= 0 {
		cfg.RowsPerFile = DefaultRowsPerFile
	}
	if cfg.LifecycleDay <= 0 {
		cfg.LifecycleDay = 24 * time.Hour
	}
	return &Writer{cfg: cfg}
}

// ErrFormatNotImplemented is the failure of a report in ORC or Parquet:
// the configuration is accepted, as S3 accepts it, but Kura writes CSV only.
var ErrFormatNotImplemented = errors.New("Kura writes inventory reports in CSV only; ORC and Parquet are not implemented: change the configuration's Format to CSV")

// Run produces a report of bucket's configuration id now, delivers it,
// and records the outcome as the configuration's Last run. The run is
// returned whether it delivered or not; err says why it did not. A run
// that fails leaves no manifest.json: data files written before the
// failure stay in the destination, unreferenced, as S3's would.
func (w *Writer) Run(ctx context.Context, bucket, id string) (kura.InventoryRun, error) {
	run := kura.InventoryRun{Started: w.cfg.Now().UTC()}
	b, err := w.cfg.Objects.Bucket(ctx, bucket)
	if err != nil {
		return run, err
	}
	c := b.InventoryConfig(id)
	if c == nil {
		return run, s3err.NoSuchConfiguration.With("BucketName", bucket)
	}
	err = w.generate(ctx, b, *c, &run)
	run.Finished = w.cfg.Now().UTC()
	if err != nil {
		run.Error = err.Error()
		w.cfg.Logger.Error("inventory report not delivered", "bucket", bucket, "id", id, "err", err)
	} else {
		w.cfg.Logger.Info("inventory report delivered", "bucket", bucket, "id", id, "manifest", run.ManifestKey,
			"objects", run.Objects, "took", run.Finished.Sub(run.Started).Round(time.Millisecond))
	}
	if ctx.Err() != nil {
		// Cut short by a shutdown (or a client gone): nothing is recorded,
		// so the scheduler runs it again rather than wait for a retry.
		return run, err
	}
	if rerr := w.record(ctx, bucket, id, run); rerr != nil && err == nil {
		err = rerr
	}
	return run, err
}

// record stores run as the configuration's Last, if it still exists.
func (w *Writer) record(ctx context.Context, bucket, id string, run kura.InventoryRun) error {
	err := w.cfg.Objects.UpdateBucket(ctx, bucket, func(b *kura.Bucket) error {
		if c := b.InventoryConfig(id); c != nil {
			c.Last = &run
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record the inventory run of %s/%s: %w", bucket, id, err)
	}
	return nil
}

// generate writes the report of c over src into its destination.
func (w *Writer) generate(ctx context.Context, src *kura.Bucket, c kura.InventoryConfiguration, run *kura.InventoryRun) error {
	if c.Destination.Format != "CSV" {
		return ErrFormatNotImplemented
	}
	d, err := w.destination(ctx, src, c.Destination)
	if err != nil {
		return err
	}
	layout := Layout{Prefix: c.Destination.Prefix, SourceBucket: src.Name, ID: c.ID, Started: run.Started}
	cols := Columns(&c)
	man := NewManifest(src.Name, c.Destination, cols, run.Started)
	f := &dataFile{d: d}
	emit := func(e Entry) error {
		if f.open == nil {
			if err := f.start(ctx, layout.DataKey()); err != nil {
				return err
			}
		}
		if err := f.row(Row(cols, e)); err != nil {
			return err
		}
		run.Objects++
		if f.rows >= w.cfg.RowsPerFile {
			return f.finish(&man)
		}
		return nil
	}
	if err := w.walk(ctx, src, c, emit); err != nil {
		f.abort(err)
		return err
	}
	if err := f.finish(&man); err != nil {
		return err
	}
	manifest, checksum, err := man.Encode()
	if err != nil {
		return err
	}
	// The manifest goes last: its presence says the report is complete.
	for _, o := range []struct {
		key, ctype string
		body       []byte
	}{
		{layout.SymlinkKey(), "text/plain", man.Symlink(d.bucket.Name)},
		{layout.ManifestKey(), "application/json", manifest},
		{layout.ChecksumKey(), "text/plain", checksum},
	} {
		if _, err := d.putBytes(ctx, o.key, o.ctype, o.body); err != nil {
			return err
		}
	}
	run.ManifestKey = layout.ManifestKey()
	return nil
}

// dataFile is the data file being written: rows go through a gzip writer
// into a pipe the object service reads as a PutObject body, so a file of
// any size is streamed.
type dataFile struct {
	d    *delivery
	key  string
	open *io.PipeWriter
	gz   *gzip.Writer
	// sum is the MD5 of the file's bytes, the manifest's MD5checksum:
	// computed here, since the object's ETag is an MD5 only under SSE-S3
	// (an SSE-KMS destination's is opaque).
	sum  hash.Hash
	buf  []byte
	rows int
	done chan putResult
}

type putResult struct {
	v   *kura.ObjectVersion
	err error
}

func (f *dataFile) start(ctx context.Context, key string) error {
	if err := f.d.allowed(key); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	f.key, f.open, f.rows = key, pw, 0
	f.sum = md5.New()
	f.gz = gzip.NewWriter(io.MultiWriter(pw, f.sum))
	f.done = make(chan putResult, 1)
	go func() {
		v, err := f.d.put(ctx, key, "application/x-gzip", pr, -1)
		// A failed PutObject stops reading: the writer's next Write
		// returns its error instead of blocking.
		pr.CloseWithError(errOr(err, io.ErrClosedPipe))
		f.done <- putResult{v, err}
	}()
	return nil
}

func errOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

func (f *dataFile) row(vals []string) error {
	f.buf = appendCSV(f.buf[:0], vals)
	f.rows++
	if _, err := f.gz.Write(f.buf); err != nil {
		return f.fail(err)
	}
	return nil
}

// fail ends a file whose body could not be written: the PutObject's own
// error, if it failed first, says more than the pipe's.
func (f *dataFile) fail(err error) error {
	f.open.CloseWithError(err)
	res := <-f.done
	f.open = nil
	if res.err != nil {
		return res.err
	}
	return err
}

// finish completes the open file (if any) and adds it to the manifest.
func (f *dataFile) finish(m *Manifest) error {
	if f.open == nil {
		return nil
	}
	if err := f.gz.Close(); err != nil {
		return f.fail(err)
	}
	f.open.Close()
	res := <-f.done
	f.open = nil
	if res.err != nil {
		return res.err
	}
	m.Files = append(m.Files, ManifestFile{Key: f.key, Size: res.v.Size, MD5Checksum: hex.EncodeToString(f.sum.Sum(nil))})
	return nil
}

func (f *dataFile) abort(err error) {
	if f.open != nil {
		f.open.CloseWithError(err)
		<-f.done
		f.open = nil
	}
}
