package batch

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/metrics"
	"github.com/kurastore/kura/internal/object"
)

// kmsCount counts the KMS calls the operations it observes report.
type kmsCount struct{ calls, ops atomic.Int64 }

func (k *kmsCount) Observe(op metrics.Op, kmsCalls int64) {
	if op.Name == "UpdateObjectEncryption" {
		k.calls.Add(kmsCalls)
		k.ops.Add(1)
	}
}

// BenchmarkReencryptJob measures a re-seal job (S3UpdateObjectEncryption,
// SSE-KMS with a bucket key) over BATCH_BENCH_OBJECTS objects (default
// 5,000) with BATCH_BENCH_WORKERS workers (default 64; BATCH_BENCH_SINGLE=1
// commits each re-seal alone): objects/s over the job's run (Preparing
// to Complete, report included) and KMS calls per object. Each iteration re-seals every
// object under the other of two keys, so every task really re-seals.
func BenchmarkReencryptJob(b *testing.B) {
	n := 5000
	if v := envInt("BATCH_BENCH_OBJECTS"); v > 0 {
		n = v
	}
	e := newEnvTB(b)
	counter := &kmsCount{}
	e.ops = newOps(e, counter)
	ctx := context.Background()
	k2, err := e.kms.CreateKey(ctx, rootCall, kms.CreateKeyInput{Description: "second"})
	if err != nil {
		b.Fatal(err)
	}
	keys := []string{e.keyARN, k2.Arn}
	var lines strings.Builder
	for i := range n {
		key := fmt.Sprintf("obj/%07d", i)
		if _, err := e.obj.PutObject(ctx, object.PutInput{Bucket: data, Key: key, Body: strings.NewReader("x"), Size: 1, Owner: owner,
			Access: object.KeyAccess{Caller: rootCall}}); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&lines, "%s,%s\n", data, key)
	}
	m := e.manifest("bench.csv", strings.Split(strings.TrimSuffix(lines.String(), "\n"), "\n")...)
	workers := 64
	if v := envInt("BATCH_BENCH_WORKERS"); v > 0 {
		workers = v
	}
	s := e.service(func(c *Config) {
		c.Workers, c.ChunkSize = workers, 1000
		c.SingleCommit = envInt("BATCH_BENCH_SINGLE") > 0
	})
	b.ResetTimer()
	var total time.Duration
	cpu0 := cpuTime()
	for i := range b.N {
		spec := e.spec(fmt.Sprintf("bench-%d", i), m)
		spec.Operation.UpdateEncryption.KMSKeyARN = keys[i%2]
		id := e.create(s, spec)
		start := time.Now()
		j := e.runUntil(s, id, kura.JobComplete)
		total += time.Since(start)
		if j.Progress.Succeeded != int64(n) {
			b.Fatalf("progress %+v", j.Progress)
		}
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "objects/s")
	// The machine is shared: CPU time per object (user+system of the whole
	// process during the jobs) says what two free cores would do.
	b.ReportMetric(float64(cpu.Microseconds())/float64(n*b.N), "cpu-µs/object")
	b.ReportMetric(float64(counter.calls.Load())/float64(max(counter.ops.Load(), 1)), "kms-calls/object")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
