package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// runner holds the state of one Run.
type runner struct {
	cfg    Config
	client *s3.Client
	prefix string
	// tried lists every key a PUT was attempted for, successful or not: a
	// failed or cancelled PUT may still have created the object, and
	// deleting a missing key is harmless. Only the Run goroutine touches
	// it, after each phase's workers have finished.
	tried []string
	// applied is the encryption the first successful PUT's response
	// named (describeSSE), "" before one.
	appliedMu sync.Mutex
	applied   string
}

// sseApplied is the encryption PUTs got, as far as known.
func (r *runner) sseApplied() string {
	r.appliedMu.Lock()
	defer r.appliedMu.Unlock()
	if r.applied == "" {
		return r.cfg.SSE
	}
	return r.applied
}

func (r *runner) noteSSE(out *s3.PutObjectOutput) {
	r.appliedMu.Lock()
	defer r.appliedMu.Unlock()
	if r.applied == "" && out != nil && out.ServerSideEncryption != "" {
		r.applied = describeSSE(r.cfg.SSE, string(out.ServerSideEncryption), aws.ToString(out.SSEKMSKeyId), aws.ToBool(out.BucketKeyEnabled))
	}
}

// workerStats is one worker's private tally, merged after the phase so
// the hot loop needs no locks or shared cache lines.
type workerStats struct {
	lats     []time.Duration
	bytes    int64
	errs     int64
	firstErr error
	keys     []string // PUT: keys written successfully
	tried    []string // PUT: keys attempted
	buf      []byte   // GET: drain buffer
}

// opFunc performs one operation for worker w (seq counts that worker's
// operations) and returns the payload bytes transferred.
type opFunc func(ws *workerStats, w int, seq int64) (int64, error)

// runPhase runs conc workers calling op until the phase duration has
// elapsed or, when limit > 0, until limit operations have been issued.
// Operations in flight at the deadline are allowed to finish and counted:
// cutting them off would turn every large-object PUT into an error.
func (r *runner) runPhase(ctx context.Context, conc int, limit int64, op opFunc) (workerStats, time.Duration) {
	stats := make([]workerStats, conc)
	var issued atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(r.cfg.Duration)
	for w := range conc {
		wg.Go(func() {
			ws := &stats[w]
			for seq := int64(0); ; seq++ {
				if ctx.Err() != nil {
					return
				}
				if limit > 0 {
					if issued.Add(1) > limit {
						return
					}
				} else if !time.Now().Before(deadline) {
					return
				}
				t0 := time.Now()
				n, err := op(ws, w, seq)
				lat := time.Since(t0)
				if err != nil {
					if ctx.Err() != nil {
						return // interrupted by the user, not a server failure
					}
					ws.errs++
					if ws.firstErr == nil {
						ws.firstErr = err
					}
					continue
				}
				ws.lats = append(ws.lats, lat)
				ws.bytes += n
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	var all workerStats
	for i := range stats {
		s := &stats[i]
		all.lats = append(all.lats, s.lats...)
		all.bytes += s.bytes
		all.errs += s.errs
		if all.firstErr == nil {
			all.firstErr = s.firstErr
		}
		all.keys = append(all.keys, s.keys...)
		all.tried = append(all.tried, s.tried...)
	}
	return all, elapsed
}

// putPhase uploads objects of pl's size under keyPrefix and returns the
// result row and the keys written. limit > 0 turns it into an untimed
// prefill of exactly limit attempts.
func (r *runner) putPhase(ctx context.Context, pl *payload, conc int, keyPrefix string, limit int64) (Result, []string, error) {
	if limit == 0 {
		fmt.Fprintf(r.cfg.Log, "put %s c=%d for %v\n", FormatSize(pl.size), conc, r.cfg.Duration)
	}
	sse := sseType(r.cfg.SSE)
	var kmsKey *string
	if r.cfg.KMSKeyID != "" {
		kmsKey = aws.String(r.cfg.KMSKeyID)
	}
	st, elapsed := r.runPhase(ctx, conc, limit, func(ws *workerStats, w int, seq int64) (int64, error) {
		key := fmt.Sprintf("%sw%d-%d", keyPrefix, w, seq)
		ws.tried = append(ws.tried, key)
		out, err := r.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket:               aws.String(r.cfg.Bucket),
			Key:                  aws.String(key),
			Body:                 pl.reader(),
			ContentLength:        aws.Int64(pl.size),
			ServerSideEncryption: sse,
			SSEKMSKeyId:          kmsKey,
		})
		if err != nil {
			return 0, err
		}
		if len(ws.keys) == 0 {
			r.noteSSE(out)
		}
		ws.keys = append(ws.keys, key)
		return pl.size, nil
	})
	r.tried = append(r.tried, st.tried...)
	res, err := r.finish(ctx, OpPut, pl.size, conc, st, elapsed)
	return res, st.keys, err
}

// drainBufSize is the read size for GET bodies. io.Copy into io.Discard
// would read in 8 KiB pieces; at GB/s that is a syscall storm measuring
// the client, so bodies are drained through a larger per-worker buffer.
const drainBufSize = 256 << 10

// getPhase downloads randomly chosen keys (all of the given size) and
// discards the bodies, counting bytes. A body shorter or longer than the
// object is an error: throughput must only count complete reads.
func (r *runner) getPhase(ctx context.Context, size int64, conc int, keys []string) (Result, error) {
	if len(keys) == 0 {
		return Result{}, errors.New("get: no objects to read")
	}
	fmt.Fprintf(r.cfg.Log, "get %s c=%d for %v (%d objects)\n", FormatSize(size), conc, r.cfg.Duration, len(keys))
	st, elapsed := r.runPhase(ctx, conc, 0, func(ws *workerStats, _ int, _ int64) (int64, error) {
		if ws.buf == nil {
			ws.buf = make([]byte, drainBufSize)
		}
		key := keys[rand.IntN(len(keys))]
		out, err := r.client.GetObject(ctx, &s3.GetObjectInput{
			Bucket: aws.String(r.cfg.Bucket),
			Key:    aws.String(key),
		})
		if err != nil {
			return 0, err
		}
		n, err := drain(out.Body, ws.buf)
		out.Body.Close()
		if err != nil {
			return 0, fmt.Errorf("get %s: reading body after %d bytes: %w", key, n, err)
		}
		if n != size {
			return 0, fmt.Errorf("get %s: body has %d bytes, want %d", key, n, size)
		}
		return n, nil
	})
	return r.finish(ctx, OpGet, size, conc, st, elapsed)
}

// drain reads rc to EOF through buf, returning the byte count.
func drain(rc io.Reader, buf []byte) (int64, error) {
	var n int64
	for {
		m, err := rc.Read(buf)
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// finish turns merged worker stats into a result row. A phase in which
// every operation failed aborts the run: the following phases would only
// repeat the failure (typically bad credentials or a missing KMS key).
func (r *runner) finish(ctx context.Context, op string, size int64, conc int, st workerStats, elapsed time.Duration) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	res := Result{
		Endpoint:    r.cfg.Endpoint,
		Bucket:      r.cfg.Bucket,
		SSE:         r.cfg.SSE,
		Duration:    r.cfg.Duration,
		Op:          op,
		Size:        size,
		Concurrency: conc,
		Ops:         int64(len(st.lats)),
		Errors:      st.errs,
		Bytes:       st.bytes,
		Elapsed:     elapsed,
		Latency:     Summarize(st.lats),
	}
	if s := elapsed.Seconds(); s > 0 {
		res.OpsPerSec = float64(res.Ops) / s
		res.MBPerSec = float64(res.Bytes) / s / 1e6
	}
	if st.firstErr != nil {
		res.FirstError = st.firstErr.Error()
		fmt.Fprintf(r.cfg.Log, "%s %s c=%d: %d errors, first: %v\n", op, FormatSize(size), conc, st.errs, st.firstErr)
	}
	if res.Ops == 0 && res.Errors > 0 {
		return res, fmt.Errorf("%s %s c=%d: all %d operations failed, first: %w",
			op, FormatSize(size), conc, st.errs, st.firstErr)
	}
	return res, nil
}

// cleanup deletes every object the run attempted to write and, if the
// run created it, the bucket. It uses a context detached from ctx so that
// it still runs after Ctrl-C, bounded by cleanupTimeout.
func (r *runner) cleanup(ctx context.Context, createdBucket bool) error {
	if r.cfg.Keep {
		fmt.Fprintf(r.cfg.Log, "kept bucket %s (%d objects under %s)\n", r.cfg.Bucket, len(r.tried), r.prefix)
		return nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	n, err := deleteKeys(cctx, r.client, r.cfg.Bucket, r.tried)
	if len(r.tried) > 0 {
		fmt.Fprintf(r.cfg.Log, "deleted %d objects from %s\n", n, r.cfg.Bucket)
	}
	if err != nil {
		return fmt.Errorf("cleanup of bucket %s: %w", r.cfg.Bucket, err)
	}
	if !createdBucket {
		return nil
	}
	if err := r.deleteBucket(cctx); err != nil {
		return fmt.Errorf("cleanup: delete bucket %s: %w", r.cfg.Bucket, err)
	}
	fmt.Fprintf(r.cfg.Log, "deleted bucket %s\n", r.cfg.Bucket)
	return nil
}

// deleteBucket deletes the run's bucket. After a cancellation, a PUT the
// client gave up on can still land on the server after the keys were
// deleted, and the bucket is then not empty: such a key is one of
// r.tried, so delete them again and retry a few times.
func (r *runner) deleteBucket(ctx context.Context) error {
	in := &s3.DeleteBucketInput{Bucket: aws.String(r.cfg.Bucket)}
	_, err := r.client.DeleteBucket(ctx, in)
	for wait := 50 * time.Millisecond; err != nil && isBucketNotEmpty(err) && wait < 2*time.Second; wait *= 2 {
		time.Sleep(wait)
		if _, derr := deleteKeys(ctx, r.client, r.cfg.Bucket, r.tried); derr != nil {
			return derr
		}
		_, err = r.client.DeleteBucket(ctx, in)
	}
	return err
}

func isBucketNotEmpty(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "BucketNotEmpty"
}
