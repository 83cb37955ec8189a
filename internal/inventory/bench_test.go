package inventory

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/storetest"
)

// BenchmarkReport measures report generation over a bucket of 100,000
// objects (docs/benchmarks.md, "S3 Inventory"): the walk, the CSV rows of
// every optional field, gzip, and the delivery of the files (encrypted
// SSE-S3) into the destination through the object service. The objects
// are metadata records only: a report never reads object data.
//
//	go test ./internal/inventory -run XXX -bench Report -benchtime 3x
func BenchmarkReport(b *testing.B) {
	const n = 100_000
	st := storetest.OpenLocal(b)
	svc := object.New(object.Config{Meta: st.Meta, Blobs: st.Blobs, ManagedKey: storetest.ManagedKey(b), Region: "us-east-1"})
	ctx := context.Background()
	cfg := kura.InventoryConfiguration{ID: "bench", IsEnabled: true, Frequency: "Daily", IncludedObjectVersions: "Current",
		Destination: kura.InventoryDestination{BucketARN: "arn:aws:s3:::dest", Format: "CSV"}, OptionalFields: kura.InventoryOptionalFields}
	for _, name := range []string{"src", "dest"} {
		if err := svc.CreateBucket(ctx, kura.Bucket{Name: name, Owner: owner}); err != nil {
			b.Fatal(err)
		}
	}
	if err := svc.UpdateBucket(ctx, "src", func(x *kura.Bucket) error { x.Inventory = []kura.InventoryConfiguration{cfg}; return nil }); err != nil {
		b.Fatal(err)
	}
	if err := svc.UpdateBucket(ctx, "dest", func(x *kura.Bucket) error { x.Policy = destPolicy; return nil }); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	for start := 0; start < n; start += 10_000 {
		if err := st.Meta.Update(ctx, func(tx meta.Tx) error {
			for i := start; i < start+10_000; i++ {
				v := &kura.ObjectVersion{Bucket: "src", Key: fmt.Sprintf("data/%02d/object-%07d.bin", i%97, i), VersionID: "null", Seq: 1,
					LastModified: now, Owner: owner, Size: int64(i), ETag: "0123456789abcdef0123456789abcdef", StorageClass: "STANDARD",
					Checksum: &kura.Checksum{Algorithm: "CRC64NVME", Type: "FULL_OBJECT", Value: "AAAAAAAAAAA="},
					BlobID:   fmt.Sprintf("blob-%d", i), Encryption: kura.Encryption{Type: kura.SSEKMS, BucketKeyEnabled: i%2 == 0, SealedKey: []byte("sealed")}}
				if err := meta.PutVersion(tx, v); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	w := New(Config{Objects: svc, Logger: slog.New(slog.DiscardHandler)})
	var peak uint64
	b.ResetTimer()
	for b.Loop() {
		run, err := w.Run(ctx, "src", "bench")
		if err != nil || run.Objects != n {
			b.Fatalf("run %+v: %v", run, err)
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapInuse)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(peak)/(1<<20), "heap-MiB")
}
