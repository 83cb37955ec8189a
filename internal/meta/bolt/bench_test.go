package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
)

func benchStore(b *testing.B) *Store {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "meta.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// versionRecord is a realistic encoded ObjectVersion (about 450 bytes as
// JSON, record version 1; fewer since EncodeVersion writes version 2).
func versionRecord(b *testing.B, bucket, key string, seq uint64) []byte {
	b.Helper()
	v := kura.ObjectVersion{
		Bucket: bucket, Key: key, VersionID: "01JB8ZK6QG3XH4Y7W2N5R9T0AB", Seq: seq,
		LastModified: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Owner: "123456789012",
		Size: 123456, ETag: "9e107d9d372bb6826bd81d3542a419d6", StorageClass: "STANDARD",
		Checksum:       &kura.Checksum{Algorithm: "CRC64NVME", Type: "FULL_OBJECT", Value: "AAAAAAAAAAA="},
		ContentHeaders: kura.ContentHeaders{ContentType: "application/octet-stream"},
		BlobID:         "01JB8ZK6QG3XH4Y7W2N5R9T0AC",
		Encryption: kura.Encryption{Type: kura.SSES3,
			SealedKey: bytes.Repeat([]byte{0xa5}, 60)},
	}
	rec, err := meta.EncodeVersion(&v)
	if err != nil {
		b.Fatal(err)
	}
	return rec
}

// BenchmarkPutSequential measures one small Update at a time: the latency
// of a durable commit with nobody to share it with.
func BenchmarkPutSequential(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	val := bytes.Repeat([]byte{'v'}, 200)
	var key [8]byte
	b.ResetTimer()
	for i := range b.N {
		binary.BigEndian.PutUint64(key[:], uint64(i))
		err := s.Update(ctx, func(tx meta.Tx) error { return tx.Put(meta.TableSystem, key[:], val) })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txns/s")
}

// BenchmarkUpdateParallel measures group commit: many goroutines each doing
// single-key Updates, sharing fsyncs through db.Batch.
func BenchmarkUpdateParallel(b *testing.B) {
	for _, goroutines := range []int{2, 16, 64, 256} {
		b.Run(fmt.Sprintf("goroutines=%d", goroutines), func(b *testing.B) {
			s := benchStore(b)
			ctx := context.Background()
			val := bytes.Repeat([]byte{'v'}, 200)
			var next atomic.Uint64
			b.SetParallelism(max(1, goroutines/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var key [8]byte
				for pb.Next() {
					// Scattered keys, as ULID-keyed or hashed writes are.
					binary.BigEndian.PutUint64(key[:], next.Add(1)*0x9e3779b97f4a7c15)
					err := s.Update(ctx, func(tx meta.Tx) error { return tx.Put(meta.TableSystem, key[:], val) })
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txns/s")
		})
	}
}

const (
	listObjects  = 50_000
	listVersions = 20 // per object: 1,000,000 version keys
	listBucket   = "bench-bucket"
	listPage     = 1000
)

// listKey is the i-th object key; keys sort in i order.
func listKey(i int) string {
	return fmt.Sprintf("logs/%02d/host-%03d/obj-%08d.json", i/2500, i/100, i)
}

// BenchmarkListPrefix1M loads 1,000,000 version records (50,000 keys × 20
// versions) and measures listing pages of 1,000 keys: "versions" walks
// consecutive version keys (ListObjectVersions), "objects" takes each key's
// newest version and seeks past the rest with meta.AfterKey (ListObjects).
// The load runs only under -bench and takes a while.
func BenchmarkListPrefix1M(b *testing.B) {
	if testing.Short() {
		b.Skip("1M-key setup skipped in -short mode")
	}
	s := benchStore(b)
	ctx := context.Background()
	start := time.Now()
	const perTx = 100_000
	for first := 0; first < listObjects*listVersions; first += perTx {
		err := s.Update(ctx, func(tx meta.Tx) error {
			for n := first; n < first+perTx; n++ {
				i, seq := n/listVersions, uint64(n%listVersions+1)
				key := listKey(i)
				if err := tx.Put(meta.TableVersions, meta.VersionKey(listBucket, key, seq),
					versionRecord(b, listBucket, key, seq)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if fi, err := os.Stat(s.Path()); err == nil {
		b.Logf("loaded %d version keys in %v; file is %d MiB", listObjects*listVersions,
			time.Since(start).Round(time.Millisecond), fi.Size()>>20)
	}
	s.db.View(func(tx *bbolt.Tx) error {
		st := tx.Bucket([]byte(meta.TableVersions)).Stats()
		b.Logf("versions table: %d leaf pages (+%d overflow), %d MiB allocated, %d MiB in use; %d free pages",
			st.LeafPageN, st.LeafOverflowN, st.LeafAlloc>>20, st.LeafInuse>>20, s.db.Stats().FreePageN)
		return nil
	})

	// One full scan, timed, which also pulls the file into the page cache:
	// the sub-benchmarks measure listing from memory, not from disk.
	start = time.Now()
	n := 0
	err := s.View(ctx, func(tx meta.Tx) error {
		c := tx.Cursor(meta.TableVersions)
		for k, _ := c.Seek(nil); k != nil; k, _ = c.Next() {
			n++
		}
		return nil
	})
	if err != nil || n != listObjects*listVersions {
		b.Fatalf("full scan: %d keys, %v", n, err)
	}
	b.Logf("full scan of %d keys in %v", n, time.Since(start).Round(time.Millisecond))

	prefix := meta.ObjectPrefix(listBucket, "logs/")
	rng := rand.New(rand.NewPCG(3, 4))
	// startAt picks a random page start that leaves a full page after it.
	startAt := func() []byte {
		return meta.ObjectPrefix(listBucket, listKey(rng.IntN(listObjects-2*listPage)))
	}
	b.Run("versions", func(b *testing.B) {
		for b.Loop() {
			err := s.View(ctx, func(tx meta.Tx) error {
				c := tx.Cursor(meta.TableVersions)
				n := 0
				for k, v := c.Seek(startAt()); bytes.HasPrefix(k, prefix) && n < listPage; k, v = c.Next() {
					if _, _, ok := meta.SplitVersionKey(listBucket, k); !ok || len(v) == 0 {
						return fmt.Errorf("bad entry %q", k)
					}
					n++
				}
				if n != listPage {
					return fmt.Errorf("listed %d keys", n)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/1000keys")
	})
	b.Run("objects", func(b *testing.B) {
		for b.Loop() {
			err := s.View(ctx, func(tx meta.Tx) error {
				c := tx.Cursor(meta.TableVersions)
				n := 0
				for k, v := c.Seek(startAt()); bytes.HasPrefix(k, prefix) && n < listPage; {
					key, _, ok := meta.SplitVersionKey(listBucket, k)
					if !ok || len(v) == 0 {
						return fmt.Errorf("bad entry %q", k)
					}
					n++
					k, v = c.Seek(meta.AfterKey(listBucket, key))
				}
				if n != listPage {
					return fmt.Errorf("listed %d keys", n)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/1000keys")
	})
}

// BenchmarkBulkLoad loads 200,000 version keys in Updates of 10,000, in key
// order and in random order: the random order shows bbolt's weak spot (each
// commit rewrites leaf pages all over the tree).
func BenchmarkBulkLoad(b *testing.B) {
	if testing.Short() {
		b.Skip("bulk load skipped in -short mode")
	}
	const total, perTx = 200_000, 10_000
	keys := make([][]byte, total)
	for i := range keys {
		keys[i] = meta.VersionKey(listBucket, listKey(i/4), uint64(i%4+1))
	}
	val := versionRecord(b, listBucket, listKey(0), 1)
	shuffled := make([][]byte, total)
	copy(shuffled, keys)
	rand.New(rand.NewPCG(5, 6)).Shuffle(total, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, c := range []struct {
		name string
		keys [][]byte
	}{{"sorted", keys}, {"random", shuffled}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				s, err := Open(filepath.Join(b.TempDir(), "meta.db"))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for first := 0; first < total; first += perTx {
					err := s.Update(ctx, func(tx meta.Tx) error {
						for _, k := range c.keys[first : first+perTx] {
							if err := tx.Put(meta.TableVersions, k, val); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}
