package batch

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/pg"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/sse"
)

// BenchmarkMillionObjectJob is the 1,000,000-object run of issue 13
// (docs/benchmarks.md, "Batch Operations at a million objects"): it makes
// BATCH_MILLION_OBJECTS (default 1,000,000) SSE-S3 objects' metadata
// straight into the store — each with its own data key sealed for its
// key, all sharing one blob, since a re-seal never reads data (setup is
// timed apart) — then measures:
//
//   - the manifest generator's rate over them with a
//     MatchAnyObjectEncryption (SSE-S3) filter;
//   - one S3UpdateObjectEncryption job (generator manifest, same filter,
//     AllTasks report) to SSE-KMS, with a bucket key unless
//     BATCH_MILLION_BUCKET_KEY=0: objects/s from CreateJob to Complete,
//     KMS calls per object, CPU per object, and memory: the process's
//     peak RSS (VmHWM, reset after setup via /proc/self/clear_refs; it
//     counts the store's mmap pages) and the peak anonymous RSS and Go
//     heap sampled during the job.
//
// With KURA_TEST_META=postgres the store is a PostgreSQL schema of its
// own (pgtest: 127.0.0.1:5432, database test), and the job also reports
// the store's round trips, statements and transactions per object and
// the CPU its PostgreSQL backends spent per object (read from /proc: the
// database on this machine).
//
// Run it once per setting in its own process (-benchtime 1x); see
// docs/benchmarks.md for the command. BATCH_MILLION_CPUPROFILE=path
// profiles the job only.
func BenchmarkMillionObjectJob(b *testing.B) {
	n := 1_000_000
	if v := envInt("BATCH_MILLION_OBJECTS"); v > 0 {
		n = v
	}
	bucketKey := os.Getenv("BATCH_MILLION_BUCKET_KEY") != "0"
	e := newEnvTB(b)
	counter := &kmsCount{}
	e.ops = newOps(e, counter)
	ctx := context.Background()

	start := time.Now()
	if err := millionRecords(ctx, e, n); err != nil {
		b.Fatal(err)
	}
	b.Logf("setup: %d object records in %v", n, time.Since(start).Round(time.Millisecond))

	filter := kura.JobManifestFilter{MatchAnyObjectEncryption: []kura.EncryptionFilter{{Type: kura.SSES3}}}
	gen := kura.JobManifestGenerator{SourceBucket: "arn:aws:s3:::" + data, Filter: filter}
	start = time.Now()
	src := openGenerator(e.obj, gen, cursor{})
	listed := 0
	for {
		_, _, err := src.next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		listed++
	}
	genTime := time.Since(start)
	if listed != n {
		b.Fatalf("the generator listed %d objects, want %d", listed, n)
	}

	runtime.GC()
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM to the current RSS
	var peakAnon, peakHeap atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			if a := procStatus("RssAnon"); a > peakAnon.Load() {
				peakAnon.Store(a)
			}
			runtime.ReadMemStats(&ms)
			if h := int64(ms.HeapInuse); h > peakHeap.Load() {
				peakHeap.Store(h)
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	if path := os.Getenv("BATCH_MILLION_CPUPROFILE"); path != "" {
		stopProfile := startCPUProfile(b, path)
		defer stopProfile()
	}
	s := e.service(func(c *Config) { c.Workers, c.ChunkSize = 16, 1000 })
	spec := e.spec("million", nil)
	spec.Manifest, spec.ManifestGenerator = nil, &gen
	spec.Operation.UpdateEncryption.BucketKeyEnabled = bucketKey
	pgs, _ := e.raw.(*pg.Store)
	var st0 pg.Stats
	var db0 map[int]time.Duration
	if pgs != nil {
		st0, db0 = pgs.Stats(), backendCPU(b, pgs)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	start = time.Now()
	id := e.create(s, spec)
	j := e.runUntilFor(s, id, time.Hour)
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	if pgs != nil {
		st := pgs.Stats()
		b.ReportMetric(float64(st.RoundTrips-st0.RoundTrips)/float64(n), "pg-round-trips/object")
		b.ReportMetric(float64(st.Statements-st0.Statements)/float64(n), "pg-statements/object")
		b.ReportMetric(float64(st.Transactions-st0.Transactions)/float64(n), "pg-transactions/object")
		var dbCPU time.Duration
		for pid, c := range backendCPU(b, pgs) {
			dbCPU += c - db0[pid] // a backend started during the job counts from 0
		}
		b.ReportMetric(float64(dbCPU.Microseconds())/float64(n), "pg-backend-cpu-µs/object")
	}
	close(stop)
	<-sampled
	if j.Status != kura.JobComplete || j.Progress.Succeeded != int64(n) {
		b.Fatalf("job %s %+v %v", j.Status, j.Progress, j.FailureReasons)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "objects/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/object")
	b.ReportMetric(float64(counter.calls.Load())/float64(max(counter.ops.Load(), 1)), "kms-calls/object")
	b.ReportMetric(float64(procStatus("VmHWM"))/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(peakAnon.Load())/(1<<20), "peak-anon-RSS-MiB")
	b.ReportMetric(float64(peakHeap.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(n)/genTime.Seconds(), "generated-objects/s")
	b.Logf("%d objects, bucket key %v: job %v (%.0f objects/s), generator alone %v (%.0f objects/s)",
		n, bucketKey, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), genTime.Round(time.Millisecond), float64(n)/genTime.Seconds())
}

// millionRecords writes n SSE-S3 object records into e's data bucket in
// transactions of 10,000, copying one real object's record: each gets its
// key, its own data key sealed for it, and the template's blob.
func millionRecords(ctx context.Context, e *env, n int) error {
	tpl := e.put(data, "obj/template", "x")
	const batch = 10_000
	for from := 0; from < n; from += batch {
		recs := make([]*kura.ObjectVersion, 0, batch)
		for i := from; i < min(from+batch, n); i++ {
			v := *tpl
			v.Key = fmt.Sprintf("obj/%07d", i)
			dek, err := sse.NewDEK()
			if err != nil {
				return err
			}
			sealed, err := e.mk.SealObjectKey(dek, data, v.Key)
			if err != nil {
				return err
			}
			v.Encryption.SealedKey = sealed
			recs = append(recs, &v)
		}
		if err := e.store.Update(ctx, func(tx meta.Tx) error {
			for _, v := range recs {
				if err := meta.PutVersion(tx, v); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	// The template itself is not one of the n.
	return e.store.Update(ctx, func(tx meta.Tx) error { return meta.DeleteVersion(tx, tpl) })
}

// backendCPU is the CPU time (user + system) of each PostgreSQL backend
// serving s's connections (found by their application_name, the schema),
// read from /proc: the database's side of the job's cost, when the
// database runs on this machine. Empty if it cannot be read.
func backendCPU(tb testing.TB, s *pg.Store) map[int]time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, pgtest.DSN(tb))
	if err != nil {
		tb.Logf("backend CPU: %v", err)
		return nil
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", s.Schema())
	if err != nil {
		tb.Logf("backend CPU: %v", err)
		return nil
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		tb.Logf("backend CPU: %v", err)
		return nil
	}
	out := map[int]time.Duration{}
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// The fields after the command's closing parenthesis: utime and
		// stime are the 12th and 13th of them, in clock ticks (100/s).
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		k, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(u+k) * 10 * time.Millisecond
	}
	return out
}

// procStatus is a /proc/self/status field in bytes (its kB figure).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
