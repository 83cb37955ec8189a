package migrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/backend"
	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/blob/s3/s3test"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/rootkey"
	"github.com/kurastore/kura/internal/sse"
)

// fixture is a stopped embedded deployment: a root key, meta.db with
// rows in a few tables (one a lease), a counter, and blobs.
type fixture struct {
	dir   string
	rows  int
	blobs int
}

func newFixture(t *testing.T, rows, blobs int) *fixture {
	return newFixtureSized(t, rows, blobs, 0)
}

// newFixtureSized is newFixture with blobs of blobSize bytes (0: about
// 1 KiB each, all different sizes).
func newFixtureSized(t *testing.T, rows, blobs, blobSize int) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	root, err := sse.CreateRootKey(filepath.Join(dir, "keys", "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := bolt.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	if err := rootkey.Record(ctx, ms, root); err != nil {
		t.Fatal(err)
	}
	for _, tab := range []meta.Table{meta.TableVersions, meta.TableIAMUsers, meta.TableKMSKeys} {
		for i := 0; i < rows; i += 1000 {
			err := ms.Update(ctx, func(tx meta.Tx) error {
				for j := i; j < min(i+1000, rows); j++ {
					if err := tx.Put(tab, fmt.Appendf(nil, "k\x00%06d", j), bytes.Repeat([]byte{byte(j)}, j%300)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	err = ms.Update(ctx, func(tx meta.Tx) error {
		if err := tx.Put(meta.TableLeases, []byte("gc"), []byte("held by a dead process")); err != nil {
			return err
		}
		return tx.RaiseSequence(meta.SequenceVersions, 1_000_000)
	})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := blobfs.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range blobs {
		n := 1000 + i*37
		if blobSize > 0 {
			n = blobSize
		}
		if _, err := bs.Put(ctx, blobID(i), bytes.NewReader(bytes.Repeat([]byte{byte(i)}, n))); err != nil {
			t.Fatal(err)
		}
	}
	return &fixture{dir: dir, rows: 3*rows + 1, blobs: blobs} // + the root key check
}

func blobID(i int) string { return fmt.Sprintf("%032x", i+1) }

// target returns the target stores: PostgreSQL (a schema of the test's)
// when it answers, else a bbolt file, and a blob directory.
func target(t *testing.T) (backend.Meta, backend.Blobs) {
	t.Helper()
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", pgtest.Schema(t, t.Name()))
	u.RawQuery = q.Encode()
	m, err := backend.ParseMeta(u.String())
	if err != nil {
		t.Fatal(err)
	}
	return m, backend.File(filepath.Join(t.TempDir(), "blobs"))
}

// errStop is the test's interruption.
var errStop = errors.New("interrupted by the test")

// TestResume: a migration interrupted in the blobs and again in the rows
// continues where it stopped, writes every row once, and verifies.
func TestResume(t *testing.T) {
	f := newFixture(t, 1234, 40)
	m, b := target(t)
	ctx := context.Background()
	opts := Options{DataDir: f.dir, Meta: m, Blobs: b, BatchRows: 100, Jobs: 2}

	interrupt := func(phase string, after int64) *Report {
		t.Helper()
		ctx, cancel := context.WithCancelCause(ctx)
		o := opts
		o.Progress = func(p Progress) {
			if p.Phase == phase && (p.Rows >= after && phase == PhaseRows || p.Blobs >= after && phase == PhaseBlobs) {
				cancel(errStop)
			}
		}
		r, err := Run(ctx, o)
		if !errors.Is(err, context.Canceled) && !errors.Is(err, errStop) {
			t.Fatalf("interrupted run in %s: %v", phase, err)
		}
		return r
	}
	interrupt(PhaseBlobs, 10)
	r := interrupt(PhaseRows, 700)
	if !r.Resumed || r.BlobsPresent < 10 {
		t.Errorf("second run: resumed %v, %d blobs already present; want resumed and ≥ 10", r.Resumed, r.BlobsPresent)
	}
	firstWritten := r.RowsWritten

	r, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Resumed || r.Restarted || !r.Verified {
		t.Errorf("last run: resumed %v restarted %v verified %v", r.Resumed, r.Restarted, r.Verified)
	}
	if int(r.Rows) != f.rows || r.Blobs != int64(f.blobs) {
		t.Errorf("report: %d rows, %d blobs; want %d, %d", r.Rows, r.Blobs, f.rows, f.blobs)
	}
	// Rows committed before the interruption are not written again.
	if got := firstWritten + r.RowsWritten; got != r.Rows || r.RowsDeleted != 0 {
		t.Errorf("rows written %d + %d = %d, deleted %d; want %d written once each", firstWritten, r.RowsWritten, got, r.RowsDeleted, r.Rows)
	}
	if r.Skipped[meta.TableLeases] != 1 {
		t.Errorf("skipped tables %v; want the lease", r.Skipped)
	}

	// The target hands out version numbers above the source's.
	ms, err := m.Open(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	err = ms.Update(ctx, func(tx meta.Tx) error {
		n, err := tx.Sequence(meta.SequenceVersions)
		if err == nil && n <= 1_000_000 {
			err = fmt.Errorf("versions counter gave %d, want > 1000000", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Again: nothing to copy, verified again.
	r, err = Run(ctx, opts)
	if err != nil || r.RowsWritten != 0 || r.BlobsCopied != 0 {
		t.Fatalf("a run after the end: %v, wrote %d rows, %d blobs", err, r.RowsWritten, r.BlobsCopied)
	}
}

// TestSourceChangedBetweenRuns: a server that ran on the source between
// two runs (rows added and removed) makes the next run merge every
// table again; the target ends equal to the new source.
func TestSourceChangedBetweenRuns(t *testing.T) {
	f := newFixture(t, 300, 3)
	m, b := target(t)
	ctx := context.Background()
	opts := Options{DataDir: f.dir, Meta: m, Blobs: b, BatchRows: 50}
	if _, err := Run(ctx, opts); err != nil {
		t.Fatal(err)
	}
	ms, err := bolt.Open(filepath.Join(f.dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	err = ms.Update(ctx, func(tx meta.Tx) error {
		if err := tx.Delete(meta.TableVersions, []byte("k\x00000007")); err != nil {
			return err
		}
		return tx.Put(meta.TableIAMUsers, []byte("new"), []byte("user"))
	})
	ms.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The target was verified: a changed source is copied again only
	// with Overwrite, since a server may have run on the target.
	if _, err := Run(ctx, opts); err == nil || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("a run into a verified target after the source changed: %v", err)
	}
	opts.Overwrite = true
	r, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Restarted || r.RowsWritten != 1 || r.RowsDeleted != 1 {
		t.Errorf("restarted %v, written %d, deleted %d; want a restart writing 1 and deleting 1", r.Restarted, r.RowsWritten, r.RowsDeleted)
	}
}

// TestVerifyNamesDifferences: a target row or blob changed after the
// migration fails --verify-only, naming it.
func TestVerifyNamesDifferences(t *testing.T) {
	f := newFixture(t, 200, 5)
	m, b := target(t)
	ctx := context.Background()
	opts := Options{DataDir: f.dir, Meta: m, Blobs: b}
	if _, err := Run(ctx, opts); err != nil {
		t.Fatal(err)
	}
	ms, err := m.Open(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = ms.Update(ctx, func(tx meta.Tx) error {
		if err := tx.Put(meta.TableKMSKeys, []byte("k\x00000042"), []byte("tampered")); err != nil {
			return err
		}
		return tx.Put(meta.TableVersions, []byte("zz-extra"), []byte("x"))
	})
	ms.Close()
	if err != nil {
		t.Fatal(err)
	}
	bs, err := b.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bs.Delete(ctx, blobID(2))
	if _, err := bs.Put(ctx, blobID(2), bytes.NewReader(make([]byte, 1000+2*37))); err != nil {
		t.Fatal(err)
	}
	bs.Delete(ctx, blobID(3))

	opts.VerifyOnly = true
	r, err := Run(ctx, opts)
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("verify of a tampered target: %v", err)
	}
	var got []string
	for _, x := range r.Mismatches {
		got = append(got, x.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`table kms_keys, key "k\x00000042": the values differ`,
		`table versions, key "zz-extra": in the target but not in the source`,
		"blob " + blobID(2) + ": the SHA-256 of its ciphertext differs",
		"blob " + blobID(3) + ": missing in the target",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("mismatches do not say %q:\n%s", want, all)
		}
	}
	if len(r.Mismatches) != 4 {
		t.Errorf("%d mismatches, want 4:\n%s", len(r.Mismatches), all)
	}
	if !strings.Contains(err.Error(), "differs from the source in 4 places") {
		t.Errorf("error: %v", err)
	}

	// A run without --verify-only copies the missing blob, but changes
	// nothing else of a target verified before (a server may have run
	// on it); with Overwrite it copies the changed blob and row again
	// and deletes the extra row.
	opts.VerifyOnly = false
	r, err = Run(ctx, opts)
	if !errors.As(err, &ve) || len(r.Mismatches) != 3 || r.BlobsCopied != 1 || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("a run into a changed verified target: %v, %d mismatches, %d blobs copied", err, len(r.Mismatches), r.BlobsCopied)
	}
	opts.Overwrite = true
	r, err = Run(ctx, opts)
	if err != nil || r.Repaired != 3 || r.BlobsCopied != 1 || !r.Verified {
		t.Fatalf("repairing run: %v, repaired %d, copied %d blobs, verified %v", err, r.Repaired, r.BlobsCopied, r.Verified)
	}
	opts.VerifyOnly = true
	if _, err := Run(ctx, opts); err != nil {
		t.Fatalf("verify after the repair: %v", err)
	}
}

// TestRefusals: a source in use, a target with other data, the source as
// target.
func TestRefusals(t *testing.T) {
	f := newFixture(t, 10, 1)
	ctx := context.Background()
	dir := t.TempDir()
	m, b := backend.Bolt(filepath.Join(dir, "meta.db")), backend.File(filepath.Join(dir, "blobs"))

	held, err := bolt.Open(filepath.Join(f.dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(ctx, Options{DataDir: f.dir, Meta: m, Blobs: b})
	held.Close()
	if !errors.Is(err, ErrSourceInUse) {
		t.Errorf("with the source open by a server: %v", err)
	}

	_, err = Run(ctx, Options{DataDir: f.dir, Meta: backend.Bolt(filepath.Join(f.dir, "meta.db")), Blobs: b})
	if err == nil || !strings.Contains(err.Error(), "is the source's meta.db") {
		t.Errorf("source as target: %v", err)
	}

	other := newFixture(t, 5, 0)
	if _, err := Run(ctx, Options{DataDir: other.dir, Meta: m, Blobs: b}); err != nil {
		t.Fatal(err)
	}
	_, err = Run(ctx, Options{DataDir: f.dir, Meta: m, Blobs: b})
	if err == nil || !strings.Contains(err.Error(), "holds a migration of another deployment") {
		t.Errorf("into another deployment's target: %v", err)
	}
}

// TestMigrateFigure measures a migration into PostgreSQL and a blob
// directory (docs/benchmarks.md, "Moving an embedded deployment"). It
// runs only when KURA_MIGRATE_FIGURE is set, e.g.
// KURA_MIGRATE_FIGURE=100000,1000,262144 (rows per table in three
// tables, blobs, bytes per blob); KURA_MIGRATE_FIGURE_S3=1 puts the blobs
// into an S3 store (another Kura in the test process) instead.
func TestMigrateFigure(t *testing.T) {
	spec := os.Getenv("KURA_MIGRATE_FIGURE")
	if spec == "" {
		t.Skip("set KURA_MIGRATE_FIGURE=rows,blobs,blobbytes to measure")
	}
	var rows, blobs, size int
	if _, err := fmt.Sscanf(spec, "%d,%d,%d", &rows, &blobs, &size); err != nil {
		t.Fatalf("KURA_MIGRATE_FIGURE=%q: %v", spec, err)
	}
	f := newFixtureSized(t, rows, blobs, size)
	m, b := target(t)
	if os.Getenv("KURA_MIGRATE_FIGURE_S3") != "" { // blobs into an S3 store: another Kura
		k := s3test.Start(t)
		k.Bucket("kura-blobs")
		t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
		t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
		var err error
		if b, err = backend.ParseBlobs("s3://kura-blobs/fig?endpoint=" + url.QueryEscape(k.URL()) + "&path_style=true&region=us-east-1"); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Run(context.Background(), Options{DataDir: f.dir, Meta: m, Blobs: b})
	if err != nil {
		t.Fatal(err)
	}
	mib := float64(r.BytesCopied) / (1 << 20)
	t.Logf("rows: %d in %v = %.0f rows/s; blobs: %d, %.0f MiB in %v = %.1f MiB/s; verify: %v",
		r.RowsWritten, r.RowsTook.Round(time.Millisecond), float64(r.RowsWritten)/r.RowsTook.Seconds(),
		r.BlobsCopied, mib, r.BlobsTook.Round(time.Millisecond), mib/r.BlobsTook.Seconds(), r.VerifyTook.Round(time.Millisecond))
}
