package object

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
)

// TestVersionRecordV1StillServed: a data directory written before record
// version 2 holds JSON version records. Such a record is listed, read
// (its sealed key opens the data) and updated like any other, and its
// first update writes it as version 2 with nothing lost.
func TestVersionRecordV1StillServed(t *testing.T) {
	ctx := context.Background()
	s, ms := newBoltService(t)
	const owner = "111122223333"
	if err := s.CreateBucket(ctx, kura.Bucket{Name: "old", Owner: owner}); err != nil {
		t.Fatal(err)
	}
	put, err := s.PutObject(ctx, PutInput{Bucket: "old", Key: "k", Body: strings.NewReader("old data"), Size: 8, Owner: owner,
		Headers: kura.ContentHeaders{ContentType: "text/plain", Metadata: map[string]string{"m": "v"}},
		SSE:     SSERequest{Type: kura.SSES3}})
	if err != nil {
		t.Fatal(err)
	}
	stored := func() []byte {
		var raw []byte
		if err := ms.View(ctx, func(tx meta.Tx) error {
			b, err := tx.Get(meta.TableVersions, meta.VersionKey("old", "k", put.Seq))
			raw = append([]byte(nil), b...)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return raw
	}
	if v := stored()[0]; v != 2 {
		t.Fatalf("a PUT wrote record version %d, want 2", v)
	}
	// The record as an older Kura wrote it.
	v1, err := meta.EncodeVersionV1(put)
	if err != nil {
		t.Fatal(err)
	}
	if err := ms.Update(ctx, func(tx meta.Tx) error { return tx.Put(meta.TableVersions, meta.VersionKey("old", "k", put.Seq), v1) }); err != nil {
		t.Fatal(err)
	}
	sameTime := cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) && a.Location().String() == b.Location().String() })
	read := func(step string, want *kura.ObjectVersion) {
		t.Helper()
		head, err := s.Head(ctx, "old", "k", "")
		if err != nil {
			t.Fatalf("%s: Head: %v", step, err)
		}
		if d := cmp.Diff(want, head, sameTime); d != "" {
			t.Errorf("%s: Head (-want +got):\n%s", step, d)
		}
		r, err := s.Open(ctx, head, 0, head.Size, KeyAccess{})
		if err != nil {
			t.Fatalf("%s: Open: %v", step, err)
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(data) != "old data" {
			t.Errorf("%s: read %q, %v; want the object's data", step, data, err)
		}
		list, err := s.ListVersions(ctx, ListInput{Bucket: "old", MaxKeys: 10})
		if err != nil || len(list.Objects) != 1 {
			t.Fatalf("%s: ListVersions: %v, %+v", step, err, list)
		}
		if d := cmp.Diff(want, list.Objects[0], sameTime); d != "" {
			t.Errorf("%s: listed (-want +got):\n%s", step, d)
		}
	}
	read("version 1 record", put)

	tags := []kura.Tag{{Key: "t", Value: "1"}}
	if _, err := s.UpdateVersion(ctx, "old", "k", "", func(v *kura.ObjectVersion) error { v.Tags = tags; return nil }); err != nil {
		t.Fatal(err)
	}
	if v := stored()[0]; v != 2 {
		t.Errorf("an update wrote record version %d, want 2", v)
	}
	want := *put
	want.Tags = tags
	read("rewritten as version 2", &want)
}

// TestUploadRecordsV1StillComplete: an upload begun before record version
// 2 holds JSON upload and part records. It is listed, its parts are
// listed, and it completes into an object that reads back its parts'
// data, as an upload begun today does.
func TestUploadRecordsV1StillComplete(t *testing.T) {
	ctx := context.Background()
	s, ms := newBoltService(t)
	const owner = "111122223333"
	if err := s.CreateBucket(ctx, kura.Bucket{Name: "old", Owner: owner}); err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUpload(ctx, UploadInput{Bucket: "old", Key: "mpu", Owner: owner,
		Headers: kura.ContentHeaders{ContentType: "text/plain", Metadata: map[string]string{"m": "v"}},
		Tags:    []kura.Tag{{Key: "t", Value: "1"}}, SSE: SSERequest{Type: kura.SSES3}})
	if err != nil {
		t.Fatal(err)
	}
	bodies := []string{strings.Repeat("a", MinPartSize), "tail"}
	var parts []CompletePart
	for i, body := range bodies {
		p, _, err := s.UploadPart(ctx, PartInput{Bucket: "old", Key: "mpu", UploadID: u.UploadID, Number: i + 1,
			Body: strings.NewReader(body), Size: int64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, CompletePart{Number: p.Number, ETag: p.ETag})
	}
	// The records as an older Kura wrote them.
	var stored []*kura.UploadPart
	if err := ms.Update(ctx, func(tx meta.Tx) error {
		raw, err := tx.Get(meta.TableUploads, meta.UploadKey("old", "mpu", u.UploadID))
		if err != nil {
			return err
		}
		if raw[0] != 2 {
			t.Errorf("CreateUpload wrote record version %d, want 2", raw[0])
		}
		v1, err := meta.EncodeUploadV1(u)
		if err != nil {
			return err
		}
		if err := tx.Put(meta.TableUploads, meta.UploadKey("old", "mpu", u.UploadID), v1); err != nil {
			return err
		}
		if stored, err = meta.UploadParts(tx, u.UploadID); err != nil {
			return err
		}
		for _, p := range stored {
			raw, err := tx.Get(meta.TableParts, meta.PartKey(u.UploadID, p.Number))
			if err != nil {
				return err
			}
			if raw[0] != 2 {
				t.Errorf("UploadPart wrote record version %d, want 2", raw[0])
			}
			v1, err := meta.EncodeUploadPartV1(p)
			if err != nil {
				return err
			}
			if err := tx.Put(meta.TableParts, meta.PartKey(u.UploadID, p.Number), v1); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sameTime := cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })
	uploads, err := s.ListUploads(ctx, UploadsInput{Bucket: "old", Max: 10})
	if err != nil || len(uploads.Uploads) != 1 {
		t.Fatalf("ListUploads: %v, %+v", err, uploads)
	}
	if d := cmp.Diff(u, uploads.Uploads[0], sameTime); d != "" {
		t.Errorf("listed upload (-want +got):\n%s", d)
	}
	page, err := s.ListParts(ctx, "old", "mpu", u.UploadID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(stored, page.Parts, sameTime); d != "" {
		t.Errorf("listed parts (-want +got):\n%s", d)
	}
	v, err := s.CompleteUpload(ctx, CompleteInput{Bucket: "old", Key: "mpu", UploadID: u.UploadID, Parts: parts, ObjectSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	if v.ContentType != "text/plain" || v.Metadata["m"] != "v" || len(v.Tags) != 1 || v.Encryption.Type != kura.SSES3 || len(v.Parts) != 2 {
		t.Errorf("completed version lost the upload's settings: %+v", v)
	}
	r, err := s.Open(ctx, v, 0, v.Size, KeyAccess{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(data) != bodies[0]+bodies[1] {
		t.Errorf("read %d bytes, %v; want the parts' %d", len(data), err, len(bodies[0])+len(bodies[1]))
	}
}
