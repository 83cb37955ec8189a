package inventory

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/storetest"
)

// The writer against a real object service (bbolt, blob directory),
// without HTTP: what a report contains, how it is laid out and split, and
// when it is not delivered.

const owner = "111122223333"

// destPolicy is the statement AWS documents for an inventory destination.
const destPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"InventoryPolicy","Effect":"Allow",
 "Principal":{"Service":"s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::dest/*",
 "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::src"},"StringEquals":{"aws:SourceAccount":"111122223333","s3:x-amz-acl":"bucket-owner-full-control"}}}]}`

type env struct {
	t   *testing.T
	svc *object.Service
	now time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := storetest.OpenLocal(t)
	e := &env{t: t, now: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)}
	e.svc = object.New(object.Config{Meta: st.Meta, Blobs: st.Blobs, ManagedKey: storetest.ManagedKey(t), Region: "us-east-1", Now: func() time.Time { return e.now }})
	return e
}

func (e *env) writer(rowsPerFile, pageSize int) *Writer {
	return New(Config{Objects: e.svc, Region: "us-east-1", Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return e.now }, RowsPerFile: rowsPerFile, PageSize: pageSize,
		CanonicalID: func(_ context.Context, a string) (string, error) { return "cid-" + a, nil }})
}

func (e *env) bucket(name, versioning, pol string, inv ...kura.InventoryConfiguration) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.svc.CreateBucket(ctx, kura.Bucket{Name: name, Owner: owner}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.UpdateBucket(ctx, name, func(b *kura.Bucket) error {
		b.Versioning, b.Policy, b.Inventory = versioning, pol, inv
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) put(bucket, key, body string) {
	e.t.Helper()
	e.now = e.now.Add(time.Second)
	if _, err := e.svc.PutObject(context.Background(), object.PutInput{Bucket: bucket, Key: key, Body: strings.NewReader(body),
		Size: int64(len(body)), Owner: owner, Access: object.KeyAccess{Caller: caller()}}); err != nil {
		e.t.Fatal(err)
	}
}

func caller() kura.Call {
	return kura.Call{Principal: kura.Principal{Type: kura.PrincipalRoot, AccountID: owner, ARN: "arn:aws:iam::" + owner + ":root"}}
}

func (e *env) read(bucket, key string) ([]byte, *kura.ObjectVersion) {
	e.t.Helper()
	ctx := context.Background()
	v, err := e.svc.Head(ctx, bucket, key, "")
	if err != nil {
		e.t.Fatalf("head %s/%s: %v", bucket, key, err)
	}
	r, err := e.svc.Open(ctx, v, 0, v.Size, object.KeyAccess{Caller: caller()})
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		e.t.Fatal(err)
	}
	return b, v
}

// report reads a delivered report back: its manifest, checked against
// manifest.checksum, and every row of its data files, checked against the
// manifest's sizes and MD5s.
func (e *env) report(dest, manifestKey string) (Manifest, [][]string) {
	e.t.Helper()
	raw, _ := e.read(dest, manifestKey)
	sum, _ := e.read(dest, strings.TrimSuffix(manifestKey, "manifest.json")+"manifest.checksum")
	if h := md5.Sum(raw); hex.EncodeToString(h[:]) != string(sum) {
		e.t.Errorf("manifest.checksum %s is not the MD5 of manifest.json", sum)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		e.t.Fatal(err)
	}
	var rows [][]string
	for _, f := range m.Files {
		gz, _ := e.read(dest, f.Key)
		if h := md5.Sum(gz); hex.EncodeToString(h[:]) != f.MD5Checksum || int64(len(gz)) != f.Size {
			e.t.Errorf("%s: size %d md5 %x, manifest says %d %s", f.Key, len(gz), h, f.Size, f.MD5Checksum)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			e.t.Fatal(err)
		}
		recs, err := csv.NewReader(zr).ReadAll()
		if err != nil {
			e.t.Fatal(err)
		}
		rows = append(rows, recs...)
	}
	return m, rows
}

func TestRunAllVersionsSplitAndPaged(t *testing.T) {
	e := newEnv(t)
	cfg := kura.InventoryConfiguration{ID: "all", IsEnabled: true, Frequency: "Daily", IncludedObjectVersions: "All",
		Destination:    kura.InventoryDestination{BucketARN: "arn:aws:s3:::dest", Prefix: "inv", Format: "CSV"},
		OptionalFields: []string{"EncryptionStatus", "Size", "ObjectOwner"}}
	e.bucket("src", "Enabled", "", cfg)
	e.bucket("dest", "", destPolicy)
	e.put("src", "a b", "one")
	e.put("src", "a b", "two!")
	e.put("src", "c", "three")
	if _, err := e.svc.DeleteObject(context.Background(), "src", "c", ""); err != nil {
		t.Fatal(err)
	}
	e.put("src", "d+", "")
	e.now = time.Date(2026, 12, 7, 0, 1, 30, 0, time.UTC)

	run, err := e.writer(2, 2).Run(context.Background(), "src", "all")
	if err != nil {
		t.Fatal(err)
	}
	if run.ManifestKey != "inv/src/all/2026-12-07T00-01Z/manifest.json" || run.Objects != 5 || run.Error != "" {
		t.Errorf("run = %+v", run)
	}
	m, rows := e.report("dest", run.ManifestKey)
	if m.SourceBucket != "src" || m.DestinationBucket != "arn:aws:s3:::dest" || m.Version != "2016-11-30" || m.FileFormat != "CSV" ||
		m.CreationTimestamp != fmt.Sprint(e.now.UnixMilli()) ||
		m.FileSchema != "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, EncryptionStatus, ObjectOwner" {
		t.Errorf("manifest = %+v", m)
	}
	if len(m.Files) != 3 {
		t.Errorf("%d data files for 5 rows at 2 a file, want 3", len(m.Files))
	}
	type row struct{ key, latest, marker, size, enc string }
	var got []row
	for _, r := range rows {
		// A delete marker made without a caller has no owner.
		if r[0] != "src" || r[2] == "" || r[7] != "cid-"+owner && r[4] == "false" {
			t.Errorf("row %q", r)
		}
		got = append(got, row{r[1], r[3], r[4], r[5], r[6]})
	}
	want := []row{
		{"a%20b", "true", "false", "4", "SSE-S3"}, {"a%20b", "false", "false", "3", "SSE-S3"},
		{"c", "true", "true", "", ""}, {"c", "false", "false", "5", "SSE-S3"},
		{"d%2B", "true", "false", "0", "SSE-S3"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows\n got %v\nwant %v", got, want)
	}
	// The Hive symlink lists the data files.
	sym, _ := e.read("dest", "inv/src/all/hive/dt=2026-12-07-00-01/symlink.txt")
	for _, f := range m.Files {
		if !strings.Contains(string(sym), "s3://dest/"+f.Key+"\n") {
			t.Errorf("symlink.txt %q misses %s", sym, f.Key)
		}
	}
	// The run is the configuration's Last.
	b, _ := e.svc.Bucket(context.Background(), "src")
	if last := b.InventoryConfig("all").Last; last == nil || last.ManifestKey != run.ManifestKey || last.Objects != 5 {
		t.Errorf("Last = %+v", last)
	}
}

func TestRunCurrentWithPrefix(t *testing.T) {
	e := newEnv(t)
	p := "keep/"
	e.bucket("src", "", "", kura.InventoryConfiguration{ID: "cur", Frequency: "Weekly", IncludedObjectVersions: "Current",
		FilterPrefix: &p, Destination: kura.InventoryDestination{BucketARN: "arn:aws:s3:::dest", Format: "CSV"}})
	e.bucket("dest", "", destPolicy)
	for _, k := range []string{"keep/1", "other", "keep/2", "keep/3"} {
		e.put("src", k, k)
	}
	run, err := e.writer(0, 1).Run(context.Background(), "src", "cur")
	if err != nil {
		t.Fatal(err)
	}
	m, rows := e.report("dest", run.ManifestKey)
	if m.FileSchema != "Bucket, Key" || len(m.Files) != 1 {
		t.Errorf("manifest %+v", m)
	}
	if fmt.Sprint(rows) != "[[src keep/1] [src keep/2] [src keep/3]]" {
		t.Errorf("rows %v", rows)
	}
}

func TestRunEmptyBucket(t *testing.T) {
	e := newEnv(t)
	e.bucket("src", "", "", kura.InventoryConfiguration{ID: "e", Frequency: "Daily", IncludedObjectVersions: "Current",
		Destination: kura.InventoryDestination{BucketARN: "arn:aws:s3:::dest", Format: "CSV"}})
	e.bucket("dest", "", destPolicy)
	run, err := e.writer(0, 0).Run(context.Background(), "src", "e")
	if err != nil {
		t.Fatal(err)
	}
	if m, rows := e.report("dest", run.ManifestKey); len(m.Files) != 0 || len(rows) != 0 {
		t.Errorf("empty bucket: manifest %+v, rows %v", m, rows)
	}
}

// A report that cannot be delivered writes no manifest and says why in
// the configuration's Last run.
func TestRunNotDelivered(t *testing.T) {
	dest := func(format, account string) kura.InventoryDestination {
		return kura.InventoryDestination{BucketARN: "arn:aws:s3:::dest", Format: format, AccountID: account}
	}
	for _, tc := range []struct {
		name   string
		dest   kura.InventoryDestination
		policy string
		want   error
	}{
		{"no destination policy", dest("CSV", ""), "", ErrDeliveryDenied},
		{"policy for another source", dest("CSV", ""), strings.ReplaceAll(destPolicy, "arn:aws:s3:::src", "arn:aws:s3:::other"), ErrDeliveryDenied},
		{"another owner expected", dest("CSV", "444455556666"), destPolicy, ErrDeliveryDenied},
		{"ORC", dest("ORC", ""), destPolicy, ErrFormatNotImplemented},
		{"Parquet", dest("Parquet", ""), destPolicy, ErrFormatNotImplemented},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.bucket("src", "", "", kura.InventoryConfiguration{ID: "x", Frequency: "Daily", IncludedObjectVersions: "Current", Destination: tc.dest})
			e.bucket("dest", "", tc.policy)
			e.put("src", "k", "v")
			run, runErr := e.writer(0, 0).Run(context.Background(), "src", "x")
			if !errors.Is(runErr, tc.want) {
				t.Fatalf("Run: %v, want %v", runErr, tc.want)
			}
			if run.ManifestKey != "" {
				t.Errorf("manifest %s delivered", run.ManifestKey)
			}
			res, err := e.svc.ListObjects(context.Background(), object.ListInput{Bucket: "dest", MaxKeys: 10})
			if err != nil || len(res.Objects) != 0 {
				t.Errorf("destination holds %d objects (%v)", len(res.Objects), err)
			}
			b, _ := e.svc.Bucket(context.Background(), "src")
			if last := b.InventoryConfig("x").Last; last == nil || last.Error != runErr.Error() {
				t.Errorf("Last = %+v", last)
			}
		})
	}
	t.Run("no such destination", func(t *testing.T) {
		e := newEnv(t)
		e.bucket("src", "", "", kura.InventoryConfiguration{ID: "x", Frequency: "Daily", IncludedObjectVersions: "Current", Destination: dest("CSV", "")})
		if _, err := e.writer(0, 0).Run(context.Background(), "src", "x"); !s3err.Is(err, s3err.NoSuchBucket) {
			t.Errorf("Run: %v, want NoSuchBucket", err)
		}
	})
	t.Run("no such configuration", func(t *testing.T) {
		e := newEnv(t)
		e.bucket("src", "", "")
		if _, err := e.writer(0, 0).Run(context.Background(), "src", "x"); !s3err.Is(err, s3err.NoSuchConfiguration) {
			t.Errorf("Run: %v, want NoSuchConfiguration", err)
		}
	})
}

// A run cut short by a shutdown records nothing: the scheduler runs it
// again instead of treating the period as tried.
func TestRunCanceledRecordsNothing(t *testing.T) {
	e := newEnv(t)
	e.bucket("src", "", "", kura.InventoryConfiguration{ID: "x", IsEnabled: true, Frequency: "Daily", IncludedObjectVersions: "Current",
		Destination: kura.InventoryDestination{BucketARN: "arn:aws:s3:::dest", Format: "CSV"}})
	e.bucket("dest", "", destPolicy)
	e.put("src", "k", "v")
	ctx, cancel := context.WithCancel(context.Background())
	w := e.writer(0, 0)
	// Canceled during the walk, once the run has started.
	w.cfg.CanonicalID = func(context.Context, string) (string, error) { cancel(); return "cid", nil }
	if _, err := w.Run(ctx, "src", "x"); err == nil {
		t.Fatal("a canceled run delivered")
	}
	b, _ := e.svc.Bucket(context.Background(), "src")
	if last := b.InventoryConfig("x").Last; last != nil {
		t.Errorf("Last = %+v after a canceled run", last)
	}
	if !Due(b.InventoryConfig("x"), e.now) {
		t.Error("not due again after a canceled run")
	}
}
