// Package bench is a generic S3 load generator: the library behind
// `kura bench`. It talks plain S3 through aws-sdk-go-v2, so the same run
// can be pointed at Kura, MinIO or AWS and the numbers compared.
//
// For every (size, concurrency) pair Run executes a timed PUT phase, in
// which each worker uploads objects of that size from a shared random
// buffer, then a timed GET phase, in which each worker downloads randomly
// chosen objects written by that PUT phase and discards the bodies.
// Throughput is reported in MB/s with MB = 10^6 bytes, and latency is
// measured per operation from the start of the request to the last byte
// of the response body. Failed operations are counted as errors and
// excluded from throughput and latency.
//
// Run creates its bucket if missing and, unless told to keep them,
// deletes every object it wrote (and the bucket if it created it) at the
// end, including after a cancellation.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Operation names, as accepted in Config.Ops and reported in Result.Op.
const (
	OpPut = "put"
	OpGet = "get"
)

// SSE modes accepted in Config.SSE.
const (
	SSENone   = "none"
	SSEAES256 = "AES256"
	SSEKMS    = "aws:kms"
)

// Config describes one benchmark run. The zero value of every optional
// field is a sensible default.
type Config struct {
	// Endpoint is the server's base URL, e.g. "http://127.0.0.1:9000".
	Endpoint string
	// AccessKey and SecretKey sign requests; both empty means anonymous.
	AccessKey string
	SecretKey string
	// Region used for signing and bucket creation; default "us-east-1".
	Region string
	// Bucket to use. Empty means a fresh "kura-bench-<random>". A bucket
	// that already exists is used but never deleted.
	Bucket string
	// VirtualHostStyle addresses buckets as <bucket>.<host>. The default
	// is path style, which works with any endpoint without DNS setup.
	VirtualHostStyle bool
	// Sizes are the object sizes in bytes; Concurrency the worker counts.
	// Every combination is benchmarked, sizes in the outer loop.
	Sizes       []int64
	Concurrency []int
	// Duration of each timed phase; default 10s.
	Duration time.Duration
	// Ops selects the phases: OpPut, OpGet or both (default). With GET
	// alone the objects are still written first, untimed (see prefillCount).
	Ops []string
	// SSE sets ServerSideEncryption on every PUT: SSENone (or empty),
	// SSEAES256 or SSEKMS. KMSKeyID is only valid with SSEKMS.
	SSE      string
	KMSKeyID string
	// UnsignedPayload sends PUT bodies as UNSIGNED-PAYLOAD instead of
	// hashing them for the signature, removing SHA-256 from both sides.
	UnsignedPayload bool
	// InsecureSkipVerify disables TLS certificate verification.
	InsecureSkipVerify bool
	// Keep leaves the objects and bucket in place at the end.
	Keep bool
	// JSON makes Run write one JSON object per result row instead of a
	// table.
	JSON bool
	// Log receives progress and cleanup messages; nil discards them. It is
	// kept apart from Run's out so that --json output stays parseable.
	Log io.Writer
}

// Result is one row of the report: one operation at one size and
// concurrency. Endpoint, Bucket, SSE and Duration repeat the run's
// settings so that every JSON row stands on its own.
type Result struct {
	Endpoint    string
	Bucket      string
	SSE         string
	Duration    time.Duration // configured phase duration
	Op          string
	Size        int64
	Concurrency int
	Ops         int64         // successful operations
	Errors      int64         // failed operations
	Bytes       int64         // bytes transferred by successful operations
	Elapsed     time.Duration // measured wall time of the phase
	OpsPerSec   float64
	MBPerSec    float64 // 10^6 bytes per second
	Latency     Latency
	// FirstError is the first failure's message, to tell a signature
	// mismatch from a timeout without rerunning.
	FirstError string
}

// normalize validates cfg and fills in defaults.
func (cfg *Config) normalize() error {
	if cfg.Endpoint == "" {
		return errors.New("endpoint is required")
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("endpoint %q: want an http:// or https:// URL", cfg.Endpoint)
	}
	if (cfg.AccessKey == "") != (cfg.SecretKey == "") {
		return errors.New("access key and secret key must be given together")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if len(cfg.Sizes) == 0 {
		return errors.New("at least one size is required")
	}
	for _, s := range cfg.Sizes {
		if s < 0 {
			return fmt.Errorf("invalid size %d", s)
		}
	}
	if len(cfg.Concurrency) == 0 {
		return errors.New("at least one concurrency is required")
	}
	for _, c := range cfg.Concurrency {
		if c < 1 {
			return fmt.Errorf("invalid concurrency %d", c)
		}
	}
	if cfg.Duration == 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Duration < 0 {
		return fmt.Errorf("invalid duration %v", cfg.Duration)
	}
	if len(cfg.Ops) == 0 {
		cfg.Ops = []string{OpPut, OpGet}
	}
	for _, op := range cfg.Ops {
		if op != OpPut && op != OpGet {
			return fmt.Errorf("invalid op %q: want put or get", op)
		}
	}
	switch cfg.SSE {
	case "":
		cfg.SSE = SSENone
	case SSENone, SSEAES256, SSEKMS:
	default:
		return fmt.Errorf("invalid sse %q: want none, AES256 or aws:kms", cfg.SSE)
	}
	if cfg.KMSKeyID != "" && cfg.SSE != SSEKMS {
		return errors.New("a KMS key id requires sse aws:kms")
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	return nil
}

// Run executes the benchmark described by cfg, writing the report (a
// header line and a table, or JSON lines) to out as each row completes,
// and returns the rows. On cancellation or a failed phase it stops, still
// cleans up, and returns the rows completed so far with the error.
func Run(ctx context.Context, cfg Config, out io.Writer) (results []Result, err error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	runID := randomHex(4)
	if cfg.Bucket == "" {
		cfg.Bucket = "kura-bench-" + runID
	}
	r := &runner{
		cfg:    cfg,
		client: newClient(&cfg, slices.Max(cfg.Concurrency)),
		// A per-run prefix keeps this run's objects apart from anything
		// else in a user-supplied bucket, and from concurrent runs.
		prefix: "kura-bench-" + runID + "/",
	}

	created, err := ensureBucket(ctx, r.client, cfg.Bucket, cfg.Region)
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(cfg.Log, "created bucket %s\n", cfg.Bucket)
	}
	defer func() {
		if cerr := r.cleanup(ctx, created); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()

	var rw rowWriter = newTableWriter(out)
	if cfg.JSON {
		rw = jsonWriter{out}
	}
	// The header names the encryption the server applied, which is not
	// what was asked when the bucket has a default (Kura encrypts
	// everything: "none" asked is SSE-S3 or the bucket's KMS key), so it
	// is written with the first row, after the first PUT.
	headerDone := false
	emit := func(res Result) error {
		if !headerDone {
			headerDone = true
			if err := rw.header(cfg.Endpoint, cfg.Bucket, r.sseApplied(), cfg.Duration); err != nil {
				return err
			}
		}
		res.SSE = r.sseApplied()
		return rw.row(res)
	}

	doPut, doGet := slices.Contains(cfg.Ops, OpPut), slices.Contains(cfg.Ops, OpGet)
	phaseNo := 0
	for _, size := range cfg.Sizes {
		pl := newPayload(size)
		for _, conc := range cfg.Concurrency {
			phaseNo++
			// The phase number keeps keys unique even if a size or
			// concurrency is listed twice.
			keyPrefix := fmt.Sprintf("%sp%d-%s-c%d/", r.prefix, phaseNo, FormatSize(size), conc)
			var keys []string
			if doPut {
				res, written, err := r.putPhase(ctx, pl, conc, keyPrefix, 0)
				if err != nil {
					return results, err
				}
				keys = written
				res.SSE = r.sseApplied()
				results = append(results, res)
				if err := emit(res); err != nil {
					return results, err
				}
			} else {
				fmt.Fprintf(cfg.Log, "prefill %s c=%d\n", FormatSize(size), conc)
				_, written, err := r.putPhase(ctx, pl, conc, keyPrefix, prefillCount(conc))
				if err != nil {
					return results, fmt.Errorf("prefill: %w", err)
				}
				keys = written
			}
			if doGet {
				res, err := r.getPhase(ctx, size, conc, keys)
				if err != nil {
					return results, err
				}
				res.SSE = r.sseApplied()
				results = append(results, res)
				if err := emit(res); err != nil {
					return results, err
				}
			}
		}
	}
	return results, nil
}

// describeSSE is the encryption a PUT's response names, as the report
// shows it: "AES256", "aws:kms(key=ARN,bucket-key)", with "(bucket
// default)" when the run asked for none; the requested mode when the
// server says nothing.
func describeSSE(requested, applied, kmsKey string, bucketKey bool) string {
	if applied == "" {
		return requested
	}
	d := applied
	var details []string
	if kmsKey != "" {
		details = append(details, "key="+kmsKey)
	}
	if bucketKey {
		details = append(details, "bucket-key")
	}
	if len(details) > 0 {
		d += "(" + strings.Join(details, ",") + ")"
	}
	if requested == SSENone || requested == "" {
		d += "(bucket default)"
	}
	return d
}

// prefillCount is how many objects a GET-only run writes first: a couple
// per worker, so workers rarely read the same object at the same time,
// while keeping prefill of very large objects short.
func prefillCount(conc int) int64 {
	return int64(max(2*conc, 4))
}

// sseType maps Config.SSE to the SDK enum; "" means the header is not sent.
func sseType(mode string) types.ServerSideEncryption {
	switch mode {
	case SSEAES256:
		return types.ServerSideEncryptionAes256
	case SSEKMS:
		return types.ServerSideEncryptionAwsKms
	}
	return ""
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
