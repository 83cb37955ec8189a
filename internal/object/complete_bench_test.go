//go:build unix

package object_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/storetest"
)

// BenchmarkCompleteUpload1000Parts times the CompleteMultipartUpload step
// of an upload of 1,000 parts, in the object service, on bbolt: reading
// the upload and its 1,000 part records, checking the request's list
// against them, deleting them and writing the version (its record lists
// the 1,000 parts), in one commit. The part records are written straight
// into the metadata store with the timer stopped, naming blobs that do not
// exist: Complete reads no blob (a part's blob becomes the object's data
// as it is), and each round completes a key of its own, so no blob is
// released. cpu-ms/op is the process's CPU time per Complete:
//
//	go test -run='^$' -bench=CompleteUpload1000Parts -benchtime=20x ./internal/object
func BenchmarkCompleteUpload1000Parts(b *testing.B) {
	const parts = 1000
	st := storetest.OpenLocal(b)
	svc := object.New(object.Config{Meta: st.Meta, Blobs: st.Blobs, ManagedKey: storetest.ManagedKey(b),
		Region: "us-east-1", Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	if err := svc.Recover(ctx); err != nil {
		b.Fatal(err)
	}
	if err := svc.CreateBucket(ctx, kura.Bucket{Name: "bench", Owner: benchAccount}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var cpu time.Duration
	round := 0
	for b.Loop() {
		b.StopTimer()
		round++
		key := fmt.Sprintf("big-%d", round)
		u, err := svc.CreateUpload(ctx, object.UploadInput{Bucket: "bench", Key: key, Owner: benchAccount,
			Headers: kura.ContentHeaders{ContentType: "application/octet-stream"}})
		if err != nil {
			b.Fatal(err)
		}
		in := object.CompleteInput{Bucket: "bench", Key: key, UploadID: u.UploadID, ObjectSize: -1,
			Parts: make([]object.CompletePart, parts)}
		now := time.Now().UTC()
		if err := st.Meta.Update(ctx, func(tx meta.Tx) error {
			for i := range parts {
				p := &kura.UploadPart{Number: i + 1, Size: object.MinPartSize,
					ETag:      fmt.Sprintf("%032x", round<<16|i),
					CRC64NVME: "AAAAAAAAAAA=", BlobID: fmt.Sprintf("20240305T070809-%016x", round<<16|i), LastModified: now}
				in.Parts[i] = object.CompletePart{Number: p.Number, ETag: `"` + p.ETag + `"`}
				if err := meta.PutUploadPart(tx, u.UploadID, p); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := cpuTime()
		v, err := svc.CompleteUpload(ctx, in)
		cpu += cpuTime() - c0
		if err != nil {
			b.Fatal(err)
		}
		if len(v.Parts) != parts {
			b.Fatalf("completed with %d parts", len(v.Parts))
		}
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}
