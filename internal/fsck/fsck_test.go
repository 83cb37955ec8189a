package fsck_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura"
	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/fsck"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/server"
)

const (
	testAK = "AKIAKURATEST00000001"
	testSK = "kura-test-secret-key-0000000000000000000"
	mib    = 1 << 20
)

var bg = context.Background()

// fixture is a data dir written by a real server: one object per kind of
// encryption and layout, an upload in progress and a delete marker.
type fixture struct {
	dir      string
	versions map[string]*kura.ObjectVersion // by key
	ssecKey  string
}

// startServer starts a server on dir (its stores there, unless adjust
// names others) and returns it with a client of its root account.
func startServer(t *testing.T, dir string, adjust ...func(*server.Config)) (*server.Server, *s3.Client) {
	t.Helper()
	cfg := server.Config{DataDir: dir, Listen: "127.0.0.1:0", RootAccessKey: testAK, RootSecretKey: testSK,
		AllowInsecureSSEC: true, OrphanSweepInterval: -1, Logger: slog.New(slog.DiscardHandler)}
	for _, a := range adjust {
		a(&cfg)
	}
	srv, err := server.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, ""), HTTPClient: &http.Client{Timeout: time.Minute}})
	return srv, c
}

func stopServer(t *testing.T, srv *server.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), versions: map[string]*kura.ObjectVersion{}}
	srv, c := startServer(t, f.dir)
	defer stopServer(t, srv)
	must := mustFor(t)
	must(c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("bkt")}))
	must(c.PutBucketVersioning(bg, &s3.PutBucketVersioningInput{Bucket: aws.String("bkt"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}))
	putObj := func(key string, in s3.PutObjectInput) {
		t.Helper()
		in.Bucket, in.Key, in.Body = aws.String("bkt"), aws.String(key), bytes.NewReader(randBytes(150<<10))
		must(c.PutObject(bg, &in))
	}
	putObj("s3", s3.PutObjectInput{ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	putObj("kms", s3.PutObjectInput{ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	putObj("bucketkey", s3.PutObjectInput{ServerSideEncryption: types.ServerSideEncryptionAwsKms, BucketKeyEnabled: aws.Bool(true)})
	putObj("dsse", s3.PutObjectInput{ServerSideEncryption: types.ServerSideEncryptionAwsKmsDsse})
	raw := bytes.Repeat([]byte{7}, 32)
	sum := md5.Sum(raw)
	f.ssecKey = base64.StdEncoding.EncodeToString(raw)
	putObj("ssec", s3.PutObjectInput{SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(f.ssecKey),
		SSECustomerKeyMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	putObj("gone", s3.PutObjectInput{})
	must(c.DeleteObject(bg, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String("gone")})) // a delete marker

	uploadObject(t, c, "mpu", "", 5*mib, 100<<10)
	uploadObject(t, c, "mpu-composite", types.ChecksumAlgorithmCrc32, 5*mib, 100<<10)
	cr, err := c.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("pending"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	must(cr, err)
	must(c.UploadPart(bg, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("pending"), UploadId: cr.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(randBytes(1000))}))

	for _, k := range []string{"s3", "kms", "bucketkey", "dsse", "ssec", "mpu", "mpu-composite"} {
		v, err := srv.Objects.Head(bg, "bkt", k, "")
		if err != nil {
			t.Fatal(err)
		}
		f.versions[k] = v
	}
	return f
}

// mustFor returns a check that fails t on an error, for calls that return
// a value too: must(c.PutObject(…)).
func mustFor(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// uploadObject writes bkt/key as a completed multipart upload of random
// parts of the given sizes, with the checksum algorithm alg ("" none).
func uploadObject(t *testing.T, c *s3.Client, key string, alg types.ChecksumAlgorithm, sizes ...int) {
	t.Helper()
	must := mustFor(t)
	cr, err := c.CreateMultipartUpload(bg, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String(key), ChecksumAlgorithm: alg})
	must(cr, err)
	var parts []types.CompletedPart
	for i, n := range sizes {
		out, err := c.UploadPart(bg, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String(key), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(randBytes(n)), ChecksumAlgorithm: alg})
		must(out, err)
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
	}
	must(c.CompleteMultipartUpload(bg, &s3.CompleteMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String(key), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}))
}

func (f *fixture) blobPath(t *testing.T, id string) string {
	t.Helper()
	bs, err := blobfs.Open(filepath.Join(f.dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := bs.Path(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	fh, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	b := make([]byte, 1)
	if _, err := fh.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 1
	if _, err := fh.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, dir string, repair bool) *fsck.Report {
	t.Helper()
	r, err := fsck.Run(bg, fsck.Options{DataDir: dir, Repair: repair, Grace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// findingKeys summarises findings as "kind key part" strings, sorted.
func findingKeys(fs []fsck.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s %d", f.Kind, f.Key, f.Part))
	}
	slices.Sort(out)
	return out
}

func TestCleanDataDir(t *testing.T) {
	f := newFixture(t)
	r := run(t, f.dir, false)
	if r.Damaged() || len(r.Damage) != 0 || len(r.Warnings) != 0 || !r.MetaDB.OK {
		t.Fatalf("clean data dir: damage %v, warnings %v, meta %+v", r.Damage, r.Warnings, r.MetaDB)
	}
	// 8 versions with data (the deleted one's included), one upload part.
	if r.Versions != 8 || r.Parts != 1 {
		t.Fatalf("checked %d versions and %d parts, want 8 and 1", r.Versions, r.Parts)
	}
	if r.Decrypted != 8 || r.HeaderOnly != 1 {
		t.Fatalf("decrypted %d, header only %d; want 8 and 1 (SSE-C)", r.Decrypted, r.HeaderOnly)
	}
	if len(r.Orphans) != 0 {
		t.Fatalf("orphans in a clean data dir: %+v", r.Orphans)
	}
}

func TestPlantedDamageAndRepair(t *testing.T) {
	f := newFixture(t)
	const header, sealed = 38, 64<<10 + 16
	if err := os.Remove(f.blobPath(t, f.versions["s3"].BlobID)); err != nil {
		t.Fatal(err)
	}
	flipByte(t, f.blobPath(t, f.versions["kms"].BlobID), header+sealed+5)      // chunk 1
	flipByte(t, f.blobPath(t, f.versions["dsse"].BlobID), header+2*sealed+5)   // chunk 2 of the outer layer
	flipByte(t, f.blobPath(t, f.versions["mpu"].Parts[1].BlobID), header+1000) // part 2
	flipByte(t, f.blobPath(t, f.versions["ssec"].BlobID), 4)                   // the header's version byte
	// The record of "bucketkey" claims another ETag than its data has.
	ms, err := bolt.Open(filepath.Join(f.dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	bk := f.versions["bucketkey"]
	if err := ms.Update(bg, func(tx meta.Tx) error {
		v := *bk
		v.ETag = strings.Repeat("0", 32)
		return meta.PutVersion(tx, &v)
	}); err != nil {
		t.Fatal(err)
	}
	ms.Close()

	bs, err := blobfs.Open(filepath.Join(f.dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	plant := func(id string, age time.Duration) string {
		if _, err := bs.Put(bg, id, bytes.NewReader(randBytes(500))); err != nil {
			t.Fatal(err)
		}
		p, _ := bs.Path(id)
		old := time.Now().Add(-age)
		os.Chtimes(p, old, old)
		return p
	}
	oldOrphan, youngOrphan := plant("orphan-old", 2*time.Hour), plant("orphan-young", time.Minute)
	oldTemp, youngTemp := filepath.Join(f.dir, "blobs", "tmp", "x.1"), filepath.Join(f.dir, "blobs", "tmp", "x.2")
	for p, age := range map[string]time.Duration{oldTemp: 3 * time.Hour, youngTemp: 0} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		os.Chtimes(p, old, old)
	}
	var blobsBefore []string
	for _, v := range f.versions {
		for _, id := range v.BlobIDs() {
			if _, err := os.Stat(f.blobPath(t, id)); err == nil {
				blobsBefore = append(blobsBefore, id)
			}
		}
	}

	r := run(t, f.dir, false)
	if !r.Damaged() {
		t.Fatal("planted damage not reported")
	}
	want := []string{"damaged bucketkey 0", "damaged dsse 0", "damaged kms 0", "damaged mpu 2", "damaged ssec 0", "missing s3 0"}
	if got := findingKeys(r.Damage); !slices.Equal(got, want) {
		t.Fatalf("damage = %q\nwant     %q\n%+v", got, want, r.Damage)
	}
	for _, d := range r.Damage {
		if d.Key == "s3" && (d.Blob != f.versions["s3"].BlobID || d.VersionID != f.versions["s3"].VersionID) {
			t.Fatalf("missing blob finding does not name blob and version: %+v", d)
		}
	}
	orphans := map[string]fsck.Orphan{}
	for _, o := range r.Orphans {
		orphans[o.Blob] = o
	}
	if len(orphans) != 4 || !orphans["orphan-young"].Young || orphans["orphan-old"].Young ||
		!orphans["x.2"].Young || !orphans["x.1"].Temp || orphans["x.1"].Young {
		t.Fatalf("orphans = %+v", r.Orphans)
	}
	if r.Removed != 0 || !exists(oldOrphan) || !exists(oldTemp) {
		t.Fatal("a check without --repair removed something")
	}

	r = run(t, f.dir, true)
	if r.Removed != 2 || r.RemovedBytes != 500+int64(len("partial")) {
		t.Fatalf("repair removed %d (%d bytes), want the old orphan and the old temp file", r.Removed, r.RemovedBytes)
	}
	if exists(oldOrphan) || exists(oldTemp) {
		t.Fatal("old orphans survived --repair")
	}
	if !exists(youngOrphan) || !exists(youngTemp) {
		t.Fatal("--repair removed orphans younger than the grace period")
	}
	for _, id := range blobsBefore {
		if !exists(f.blobPath(t, id)) {
			t.Fatalf("--repair removed referenced blob %s", id)
		}
	}
	if got := findingKeys(r.Damage); !slices.Equal(got, want) {
		t.Fatalf("damage after repair = %q, want it unchanged", got)
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// A damaged meta.db is reported, and then nothing is called an orphan or
// removed: the damaged pages may hold the references.
func TestDamagedMetaDB(t *testing.T) {
	f := newFixture(t)
	orphan := filepath.Join(f.dir, "blobs", "tmp", "leftover")
	if err := os.WriteFile(orphan, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-5 * time.Hour)
	os.Chtimes(orphan, old, old)
	path := filepath.Join(f.dir, "meta.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps, n := os.Getpagesize(), 0
	for off := 2 * ps; off+ps <= len(b); off += ps {
		if page := b[off : off+ps]; binary.LittleEndian.Uint16(page[8:10]) == 0x02 && bytes.Contains(page, []byte("mpu-composite")) {
			binary.LittleEndian.PutUint16(page[8:10], 0x40)
			n++
		}
	}
	if n == 0 {
		t.Fatal("no leaf page holds the key")
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, f.dir, true)
	if r.MetaDB.OK || len(r.MetaDB.Problems) == 0 || !r.Damaged() {
		t.Fatalf("damaged meta.db: %+v", r.MetaDB)
	}
	if !r.OrphansUnknown || r.Removed != 0 || !exists(orphan) {
		t.Fatalf("with damaged metadata: orphansUnknown %v, removed %d", r.OrphansUnknown, r.Removed)
	}
}

func TestRunningServerLocksFsckOut(t *testing.T) {
	dir := t.TempDir()
	srv, _ := startServer(t, dir)
	defer stopServer(t, srv)
	_, err := fsck.Run(bg, fsck.Options{DataDir: dir, LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, fsck.ErrLocked) || !strings.Contains(err.Error(), "server running") {
		t.Fatalf("fsck beside a running server = %v, want ErrLocked", err)
	}
}

func TestNoRootKeyIsNotCreated(t *testing.T) {
	f := newFixture(t)
	key := filepath.Join(f.dir, "keys", "root.key")
	if err := os.Rename(key, key+".bak"); err != nil {
		t.Fatal(err)
	}
	_, err := fsck.Run(bg, fsck.Options{DataDir: f.dir})
	if err == nil || !strings.Contains(err.Error(), "root key") {
		t.Fatalf("fsck without a root key = %v", err)
	}
	if exists(key) {
		t.Fatal("fsck created a root key")
	}
	_, err = fsck.Run(bg, fsck.Options{DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "no Kura data directory") {
		t.Fatalf("fsck of an empty dir = %v", err)
	}
	_ = io.Discard
}
