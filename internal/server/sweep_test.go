package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/blob"
	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/server"
)

// Orphan blobs — written, but never named by committed metadata because
// the process died in between — are removed once older than the grace
// period, at start and periodically; referenced blobs never are, also while
// PUTs run during a sweep.

// blobStore opens the blob directory of a data dir beside the server, as a
// crashed process's leftovers would be found there.
func blobStore(t *testing.T, dir string) *blobfs.Store {
	t.Helper()
	bs, err := blobfs.Open(blobDir(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

// plantOrphan stores a blob no metadata names, last modified age ago.
func plantOrphan(t *testing.T, bs *blobfs.Store, id string, age time.Duration) string {
	t.Helper()
	if _, err := bs.Put(context.Background(), id, bytes.NewReader(randBytes(1000))); err != nil {
		t.Fatal(err)
	}
	p, _ := bs.Path(id)
	age1(t, p, age)
	return p
}

// age1 sets a file's modification time to age ago.
func age1(t *testing.T, path string, age time.Duration) {
	t.Helper()
	old := time.Now().Add(-age)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func blobIDs(t *testing.T, bs *blobfs.Store) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	if err := bs.Walk(context.Background(), func(b blob.Info) error { ids[b.ID] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestOrphanSweep(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startWith(t, dir, func(c *server.Config) { c.OrphanSweepInterval, c.BlobGrace = -1, -1 })
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "sweep")
	objects := map[string][]byte{"a": randBytes(100), "b": randBytes(70 << 10)}
	for k, v := range objects {
		put(t, c, "sweep", k, v)
	}
	objects["multi"] = multipartObject(t, c, "sweep", "multi")
	// An upload in progress: its part is referenced by the parts table only.
	pending, parts, uploadID := uploadParts(t, c, "sweep", "pending", "", 1000)

	bs := blobStore(t, dir)
	oldOrphan := plantOrphan(t, bs, "20200101T000000-orphanold", 2*time.Hour)
	youngOrphan := plantOrphan(t, bs, "20200101T000000-orphanyoung", time.Minute)
	// Referenced blobs as old as the old orphan: references protect them,
	// not their age.
	for id := range blobIDs(t, bs) {
		if p, _ := bs.Path(id); p != youngOrphan {
			age1(t, p, 3*time.Hour)
		}
	}
	before := len(blobIDs(t, bs))

	res, err := ts.Objects.SweepOrphans(cx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if res.Blobs != before || res.Orphans != 1 || res.Removed != 1 || res.Bytes != 1000 {
		t.Fatalf("sweep = %+v, want 1 of %d blobs removed (1000 bytes)", res, before)
	}
	if exists(t, oldOrphan) {
		t.Fatal("old orphan survived the sweep")
	}
	if !exists(t, youngOrphan) {
		t.Fatal("orphan younger than the grace period was removed")
	}
	for k, v := range objects {
		if got := get(t, c, "sweep", k); !bytes.Equal(got, v) {
			t.Fatalf("%s reads back wrong after the sweep", k)
		}
	}
	if _, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("sweep"), Key: aws.String("pending"),
		UploadId: aws.String(uploadID), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatalf("completing an upload after the sweep: %v", err)
	}
	if got := get(t, c, "sweep", "pending"); !bytes.Equal(got, pending) {
		t.Fatal("upload completed after the sweep reads back wrong")
	}

	// Deleting everything leaves nothing but the young orphan, and a sweep
	// with no grace takes that too.
	for _, k := range []string{"a", "b", "multi", "pending"} {
		if _, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("sweep"), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	if res, err := ts.Objects.SweepOrphans(cx, 0); err != nil || res.Removed != 1 {
		t.Fatalf("sweep with no grace = %+v, %v; want the young orphan removed", res, err)
	}
	if ids := blobIDs(t, bs); len(ids) != 0 {
		t.Fatalf("blobs left after deleting everything and sweeping: %v", ids)
	}
}

// A sweep with no grace period at all, run again and again while PUTs,
// copies and multipart uploads commit, removes none of their blobs: every
// acknowledged write reads back.
func TestOrphanSweepConcurrentWrites(t *testing.T) {
	skipInCluster(t, "a sweep with no grace protects only its own process's blobs being written; across nodes the grace period does (docs/scale-out.md, Orphan sweep across nodes)")
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.OrphanSweepInterval = -1 })
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "race")
	put(t, c, "race", "src", randBytes(1000))

	stop := make(chan struct{})
	sweeps := 0
	var sweeper sync.WaitGroup
	sweeper.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := ts.Objects.SweepOrphans(cx, 0); err != nil {
				t.Errorf("sweep: %v", err)
				return
			}
			sweeps++
		}
	})

	const writers, perWriter = 4, 15
	var mu sync.Mutex
	want := map[string][]byte{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				key := fmt.Sprintf("w%d/%d", w, i)
				var data []byte
				switch i % 3 {
				case 0, 1:
					data = randBytes(1 + (w*perWriter+i)*997%(200<<10))
					if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("race"), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
						t.Errorf("put %s: %v", key, err)
						return
					}
				case 2:
					cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("race"), Key: aws.String(key)})
					if err != nil {
						t.Errorf("create upload %s: %v", key, err)
						return
					}
					data = randBytes(3000)
					up, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("race"), Key: aws.String(key), UploadId: cr.UploadId,
						PartNumber: aws.Int32(1), Body: bytes.NewReader(data)})
					if err != nil {
						t.Errorf("upload part %s: %v", key, err)
						return
					}
					if _, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("race"), Key: aws.String(key), UploadId: cr.UploadId,
						MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag}}}}); err != nil {
						t.Errorf("complete %s: %v", key, err)
						return
					}
				}
				mu.Lock()
				want[key] = data
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(stop)
	sweeper.Wait()
	if t.Failed() {
		return
	}
	if sweeps == 0 {
		t.Fatal("no sweep ran while the writes did")
	}
	for k, v := range want {
		if got := get(t, c, "race", k); !bytes.Equal(got, v) {
			t.Fatalf("%s reads back wrong after sweeps", k)
		}
	}
	t.Logf("%d writes, %d sweeps", len(want), sweeps)
}

// At start, every temporary file (an upload the last process never
// finished) goes at once (with the embedded metadata store), and the
// first sweep removes old orphans (with any).
func TestSweepAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startWith(t, dir, func(c *server.Config) { c.OrphanSweepInterval = -1 })
	c := ts.client()
	mustBucket(t, c, "start")
	data := randBytes(5000)
	put(t, c, "start", "kept", data)
	ts.stop(t)

	bs := blobStore(t, dir)
	orphan := plantOrphan(t, bs, "20200101T000000-orphan", 2*time.Hour)
	young := plantOrphan(t, bs, "20200101T000000-young", 0)
	tmp := filepath.Join(blobDir(t, dir), "tmp", "20200101T000000-upload.123")
	if err := os.WriteFile(tmp, []byte("partial upload"), 0o600); err != nil {
		t.Fatal(err)
	}

	ts = startWith(t, dir, nil) // sweeps on, default grace (an hour)
	// Only a process that has its metadata store to itself (the embedded
	// one) knows that every temporary file is a dead process's; on a
	// shared store they go after blobfs.StaleTempAge (background.go,
	// clearDeadProcess).
	if embeddedMeta(t) && exists(t, tmp) {
		t.Fatal("a temporary file of the previous process survived the start")
	}
	deadline := time.Now().Add(30 * time.Second)
	for exists(t, orphan) {
		if time.Now().After(deadline) {
			t.Fatal("old orphan not removed by the sweep at start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !exists(t, young) {
		t.Fatal("young orphan removed at start")
	}
	if got := get(t, ts.client(), "start", "kept"); !bytes.Equal(got, data) {
		t.Fatal("object reads back wrong after the sweep at start")
	}
}
