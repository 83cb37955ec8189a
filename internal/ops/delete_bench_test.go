//go:build unix

package ops_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
)

// BenchmarkDeleteObjects deletes 1,000 keys per DeleteObjects through the
// operation layer (authorization, audit, bbolt metadata, blob directory),
// without HTTP: in an unversioned bucket (the keys' objects removed, their
// blobs queued for collection), with the server's default grace period
// (the blobs stay for the collector) and with none (deleted right after
// the commit, one unlink and directory sync each); and in a
// versioning-enabled bucket (a delete marker per key). The objects are written, with the timer stopped, by 16
// writers. objects/s is wall-clock; cpu-µs/key, the process's CPU time
// during the DeleteObjects calls per key, is steadier on a shared machine:
//
//	go test -run='^$' -bench=DeleteObjects -benchtime=5x ./internal/ops
func BenchmarkDeleteObjects(b *testing.B) {
	const keys = ops.MaxDeleteObjects
	for _, tc := range []struct {
		name, bucket string
		grace        time.Duration
	}{
		{"unversioned", plain, time.Hour},
		{"unversioned-no-grace", plain, 0},
		{"versioned", bucket, time.Hour},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := newEnv(b, func(c *object.Config) { c.BlobGrace = tc.grace })
			ctx := context.Background()
			var cpu, wall time.Duration
			round := 0
			for b.Loop() {
				b.StopTimer()
				round++
				in := ops.DeleteObjectsInput{Bucket: tc.bucket, Objects: make([]ops.ObjectIdentifier, keys)}
				var wg sync.WaitGroup
				for w := range 16 {
					wg.Go(func() {
						for i := w; i < keys; i += 16 {
							key := fmt.Sprintf("r%d/k%04d", round, i)
							in.Objects[i].Key = key
							if _, err := e.obj.PutObject(ctx, object.PutInput{Bucket: tc.bucket, Key: key,
								Body: strings.NewReader("data"), Size: 4, Owner: owner}); err != nil {
								b.Error(err)
							}
						}
					})
				}
				wg.Wait()
				b.StartTimer()
				c0, t0 := benchCPU(), time.Now()
				res, err := e.ops.DeleteObjects(ctx, call(root, fmt.Sprint("bench-", round)), in)
				cpu, wall = cpu+benchCPU()-c0, wall+time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range res.Objects {
					if o.Err != nil {
						b.Fatalf("%s: %v", o.Key, o.Err)
					}
				}
			}
			n := float64(b.N * keys)
			b.ReportMetric(n/wall.Seconds(), "objects/s")
			b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/key")
		})
	}
}

// benchCPU is the process's user+system CPU time so far.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
