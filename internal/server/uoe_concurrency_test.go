package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Invariant 2 of the design (UpdateObjectEncryption is atomic) under
// concurrency: writers, readers and re-keyers hammer the same keys.

// uoeStressDuration is how long TestUOEConcurrency runs its goroutines;
// short enough for CI, long enough for a few thousand requests.
const uoeStressDuration = 8 * time.Second

// Self-verifying payloads. Block 0 is a header: magic, seed, total length
// and the SHA-256 of everything after the header, so a full body checks
// itself. Every later block j starts with the seed and j, followed by
// bytes from a PCG seeded by (seed, j), so any range of two blocks or more
// contains a whole block naming its seed, from which the expected bytes of
// the range are recomputed.
const (
	payloadBlock = 64
	payloadMagic = "KURAUOE1"
	minPayload   = 2 * payloadBlock
)

// payload returns the n bytes (n ≥ minPayload) generated from seed.
func payload(seed uint64, n int) []byte {
	b := make([]byte, n)
	var blk [payloadBlock]byte
	for j := 1; j*payloadBlock < n; j++ {
		binary.BigEndian.PutUint64(blk[0:], seed)
		binary.BigEndian.PutUint64(blk[8:], uint64(j))
		r := rand.NewPCG(seed, uint64(j))
		for i := 16; i < payloadBlock; i += 8 {
			binary.BigEndian.PutUint64(blk[i:], r.Uint64())
		}
		copy(b[j*payloadBlock:], blk[:])
	}
	copy(b, payloadMagic)
	binary.BigEndian.PutUint64(b[8:], seed)
	binary.BigEndian.PutUint64(b[16:], uint64(n))
	sum := sha256.Sum256(b[payloadBlock:])
	copy(b[24:], sum[:])
	return b
}

// checkFullPayload verifies a whole body against its own header and
// returns its seed.
func checkFullPayload(b []byte) (uint64, error) {
	if len(b) < minPayload || string(b[:8]) != payloadMagic {
		return 0, fmt.Errorf("body of %d bytes has no payload header", len(b))
	}
	seed, n := binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[16:])
	if n != uint64(len(b)) {
		return seed, fmt.Errorf("body of seed %d is %d bytes, its header says %d", seed, len(b), n)
	}
	if sum := sha256.Sum256(b[payloadBlock:]); !bytes.Equal(sum[:], b[24:56]) {
		return seed, fmt.Errorf("body of seed %d (%d bytes) does not match the SHA-256 in its header", seed, n)
	}
	return seed, nil
}

// checkRangedPayload verifies the bytes b found at offset off of an object
// of total bytes (both from Content-Range) and returns their seed.
func checkRangedPayload(b []byte, off, total int64) (uint64, error) {
	if len(b) < minPayload {
		return 0, fmt.Errorf("range of %d bytes is too short to check", len(b))
	}
	j := (off + payloadBlock - 1) / payloadBlock // first whole block
	at := j*payloadBlock - off
	var seed uint64
	if j == 0 {
		if string(b[:8]) != payloadMagic {
			return 0, errors.New("range at offset 0 has no payload header")
		}
		seed = binary.BigEndian.Uint64(b[8:])
	} else {
		seed = binary.BigEndian.Uint64(b[at:])
		if got := binary.BigEndian.Uint64(b[at+8:]); got != uint64(j) {
			return seed, fmt.Errorf("block at offset %d says it is block %d, want %d", off+at, got, j)
		}
	}
	want := payload(seed, int(total))
	if off+int64(len(b)) > total || !bytes.Equal(b, want[off:off+int64(len(b))]) {
		return seed, fmt.Errorf("range [%d, %d) of seed %d differs from the generated content", off, off+int64(len(b)), seed)
	}
	return seed, nil
}

func TestUOEStressPayload(t *testing.T) {
	t.Parallel()
	p := payload(42, 10_000)
	if seed, err := checkFullPayload(p); err != nil || seed != 42 {
		t.Fatalf("full check of a good payload: seed %d, %v", seed, err)
	}
	for _, r := range [][2]int64{{0, 128}, {1, 200}, {63, 191}, {64, 192}, {5000, 10_000}, {9872, 10_000}} {
		if seed, err := checkRangedPayload(p[r[0]:r[1]], r[0], 10_000); err != nil || seed != 42 {
			t.Fatalf("range %v of a good payload: seed %d, %v", r, seed, err)
		}
	}
	bad := bytes.Clone(p)
	bad[7000] ^= 1
	if _, err := checkFullPayload(bad); err == nil {
		t.Fatal("full check accepted a flipped bit")
	}
	if _, err := checkRangedPayload(bad[6900:7100], 6900, 10_000); err == nil {
		t.Fatal("ranged check accepted a flipped bit")
	}
	if _, err := checkRangedPayload(p[6900:7100], 6964, 10_000); err == nil {
		t.Fatal("ranged check accepted bytes from the wrong offset")
	}
}

// writeMode is how a writer encrypted one PUT.
type writeMode struct {
	sse       types.ServerSideEncryption
	keyARN    string
	bucketKey bool
}

// stressObject is one key under test and everything written to it.
type stressObject struct {
	bucket, key string
	versioned   bool
	multipart   bool
	size        func(r *rand.Rand) int

	mu       sync.Mutex
	writes   map[uint64]writeMode // seed → how it was written (registered before the PUT)
	versions []string             // version ids of successful PUTs (versioned bucket)
	rekeyed  map[string]bool      // version ids with a successful UpdateObjectEncryption by id
}

func (o *stressObject) name() string { return o.bucket + "/" + o.key }

func (o *stressObject) register(seed uint64, m writeMode) {
	o.mu.Lock()
	o.writes[seed] = m
	o.mu.Unlock()
}

func (o *stressObject) written(seed uint64) (writeMode, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m, ok := o.writes[seed]
	return m, ok
}

func (o *stressObject) pickVersion(r *rand.Rand) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.versions) == 0 {
		return ""
	}
	return o.versions[r.IntN(len(o.versions))]
}

// stressRun holds what the goroutines of TestUOEConcurrency share.
type stressRun struct {
	t            *testing.T
	c            *s3.Client
	keyA, keyB   string
	objects      []*stressObject
	seeds        atomic.Uint64
	failures     atomic.Int64
	mu           sync.Mutex
	counts       map[string]int // "op ok" or "op CODE" → count
	failMessages []string
}

// allowedErrors lists the only errors a request may fail with while the
// others run; anything else (a 500, a decrypt failure, a transport error, a
// body that ends early) fails the test. Every key is written before the
// goroutines start and nothing deletes, so NoSuchVersion never qualifies
// ("null" names the one version of an unversioned key, which always
// exists).
var allowedErrors = []struct {
	op, code string
	// unversioned limits the entry to keys of the unversioned bucket.
	unversioned bool
}{
	// The version kept changing under all of UpdateEncryption's re-seal
	// attempts: possible when writers replace the current version faster
	// than the re-seal commits.
	{op: "UpdateObjectEncryption", code: "OperationAborted"},
}

func (r *stressRun) count(op, outcome string) {
	r.mu.Lock()
	r.counts[op+" "+outcome]++
	r.mu.Unlock()
}

// fail records a failure without stopping the goroutines (t.Fatal may not
// be called from them); the first few messages are reported.
func (r *stressRun) fail(format string, args ...any) {
	r.failures.Add(1)
	r.mu.Lock()
	if len(r.failMessages) < 20 {
		r.failMessages = append(r.failMessages, fmt.Sprintf(format, args...))
	}
	r.mu.Unlock()
}

// outcome counts a request's result and reports whether it succeeded. An
// error not in allowedErrors is recorded as a failure.
func (r *stressRun) outcome(op string, o *stressObject, detail string, err error) bool {
	if err == nil {
		r.count(op, "ok")
		return true
	}
	code := apiCode(err)
	for _, a := range allowedErrors {
		if a.op == op && a.code == code && (!a.unversioned || !o.versioned) {
			r.count(op, code)
			return false
		}
	}
	r.fail("%s %s %s: %v", op, o.name(), detail, err)
	return false
}

// modeFor is the i-th of the encryption modes writers cycle through.
func (r *stressRun) modeFor(i int) writeMode {
	switch i % 4 {
	case 0:
		return writeMode{sse: types.ServerSideEncryptionAes256}
	case 1:
		return writeMode{sse: types.ServerSideEncryptionAwsKms, keyARN: r.keyA}
	case 2:
		return writeMode{sse: types.ServerSideEncryptionAwsKms, keyARN: r.keyB}
	}
	return writeMode{sse: types.ServerSideEncryptionAwsKms, keyARN: r.keyA, bucketKey: true}
}

// write PUTs a fresh payload to o in mode m (multipart for a multipart
// key: a 5 MiB part and the rest).
func (r *stressRun) write(o *stressObject, rng *rand.Rand, m writeMode) {
	seed := r.seeds.Add(1)
	data := payload(seed, o.size(rng))
	o.register(seed, m)
	cx := ctx(r.t)
	var vid *string
	if !o.multipart {
		in := &s3.PutObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(o.key), Body: bytes.NewReader(data),
			ServerSideEncryption: m.sse}
		if m.keyARN != "" {
			in.SSEKMSKeyId, in.BucketKeyEnabled = aws.String(m.keyARN), aws.Bool(m.bucketKey)
		}
		out, err := r.c.PutObject(cx, in)
		if !r.outcome("PutObject", o, fmt.Sprintf("(seed %d)", seed), err) {
			return
		}
		vid = out.VersionId
	} else {
		in := &s3.CreateMultipartUploadInput{Bucket: aws.String(o.bucket), Key: aws.String(o.key), ServerSideEncryption: m.sse}
		if m.keyARN != "" {
			in.SSEKMSKeyId, in.BucketKeyEnabled = aws.String(m.keyARN), aws.Bool(m.bucketKey)
		}
		cr, err := r.c.CreateMultipartUpload(cx, in)
		if !r.outcome("MultipartUpload", o, "create", err) {
			return
		}
		var parts []types.CompletedPart
		for i, p := range [][]byte{data[:5*mib], data[5*mib:]} {
			n := aws.Int32(int32(i + 1))
			out, err := r.c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String(o.bucket), Key: aws.String(o.key),
				UploadId: cr.UploadId, PartNumber: n, Body: bytes.NewReader(p)})
			if !r.outcome("MultipartUpload", o, "part "+strconv.Itoa(i+1), err) {
				return
			}
			parts = append(parts, types.CompletedPart{PartNumber: n, ETag: out.ETag})
		}
		out, err := r.c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(o.bucket),
			Key: aws.String(o.key), UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		if !r.outcome("MultipartUpload", o, "complete", err) {
			return
		}
		vid = out.VersionId
	}
	if o.versioned {
		o.mu.Lock()
		o.versions = append(o.versions, aws.ToString(vid))
		o.mu.Unlock()
	}
}

// checkSSE checks the encryption a GET or HEAD reported for a body of
// seed: an object written with SSE-KMS stays SSE-KMS under key A or B; an
// SSE-S3 one may have been re-keyed to either.
func (r *stressRun) checkSSE(o *stressObject, what string, seed uint64, sse types.ServerSideEncryption, keyARN string) {
	m, ok := o.written(seed)
	if !ok {
		r.fail("%s %s: body of seed %d, which was never written to this key", what, o.name(), seed)
		return
	}
	switch {
	case sse == types.ServerSideEncryptionAwsKms && (keyARN == r.keyA || keyARN == r.keyB):
	case sse == types.ServerSideEncryptionAes256 && m.sse == types.ServerSideEncryptionAes256 && keyARN == "":
	default:
		r.fail("%s %s (seed %d, written %+v): reports encryption %q key %q", what, o.name(), seed, m, sse, keyARN)
	}
}

// read GETs o (current or a recorded version; whole or a range) and checks
// the bytes and the reported encryption against each other.
func (r *stressRun) read(o *stressObject, rng *rand.Rand) {
	in := &s3.GetObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(o.key)}
	detail := "current"
	if o.versioned && rng.IntN(2) == 0 {
		if v := o.pickVersion(rng); v != "" {
			in.VersionId, detail = aws.String(v), "version "+v
		}
	}
	op := "GetObject"
	if rng.IntN(2) == 0 {
		// The object's size is not known here (it changes under us); a
		// start inside the smallest object and a length of at least
		// minPayload keep the range satisfiable and checkable.
		start := rng.IntN(4096 - minPayload)
		if o.multipart && rng.IntN(2) == 0 {
			start = 5*mib - 100_000 + rng.IntN(100_000) // across the part boundary
		}
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", start, start+minPayload-1+rng.IntN(300_000)))
		op, detail = "GetObject range", detail+" "+*in.Range
	}
	out, err := r.c.GetObject(ctx(r.t), in)
	if !r.outcome(op, o, detail, err) {
		return
	}
	body, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		r.fail("%s %s %s: reading the body: %v", op, o.name(), detail, err)
		return
	}
	var seed uint64
	if in.Range == nil {
		seed, err = checkFullPayload(body)
	} else {
		var off, end, total int64
		if _, e := fmt.Sscanf(aws.ToString(out.ContentRange), "bytes %d-%d/%d", &off, &end, &total); e != nil {
			r.fail("%s %s %s: Content-Range %q: %v", op, o.name(), detail, aws.ToString(out.ContentRange), e)
			return
		}
		seed, err = checkRangedPayload(body, off, total)
	}
	if err != nil {
		r.fail("%s %s %s: %v", op, o.name(), detail, err)
		return
	}
	r.checkSSE(o, op+" "+detail, seed, out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId))
}

// rekey calls UpdateObjectEncryption on o: the current version, or a
// recorded version id ("null" in the unversioned bucket).
func (r *stressRun) rekey(o *stressObject, rng *rand.Rand, i int) {
	keyARN := r.keyA
	if i%2 == 1 {
		keyARN = r.keyB
	}
	bk := i/2%2 == 1
	vid := ""
	if rng.IntN(2) == 0 {
		if o.versioned {
			vid = o.pickVersion(rng)
		} else {
			vid = "null"
		}
	}
	err := uoe(r.t, r.c, o.bucket, o.key, vid, keyARN, bk)
	detail := fmt.Sprintf("version %q → %s bucket key %v", vid, keyARN, bk)
	if !r.outcome("UpdateObjectEncryption", o, detail, err) {
		return
	}
	if vid == "" {
		r.count("UpdateObjectEncryption", "ok current")
		return
	}
	r.count("UpdateObjectEncryption", "ok by version id")
	if o.versioned {
		o.mu.Lock()
		o.rekeyed[vid] = true
		o.mu.Unlock()
	}
}

// TestUOEConcurrency runs writers (PUT, multipart, SSE-S3 and SSE-KMS),
// readers (GET whole and ranged, current and by version) and re-keyers
// (UpdateObjectEncryption alternating keys A and B, with and without a
// bucket key, on the current version and by version id) against the same
// keys for uoeStressDuration. Every body read must check out against its
// self-describing content and the encryption the same response reports;
// every request must succeed or fail with an error of allowedErrors. At the
// end every version decrypts, shows key A or B (or SSE-S3 if it was
// written so and never re-keyed) and can still be re-keyed.
func TestUOEConcurrency(t *testing.T) {
	t.Parallel()
	ts := start(t)
	k := ts.kmsClient()
	r := &stressRun{t: t, keyA: createKey(t, k), keyB: createKey(t, k), counts: map[string]int{},
		// No SDK retries: a retried 500 would go unseen.
		c: ts.client(func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })}
	r.seeds.Store(rand.Uint64() >> 16)
	mustBucket(t, r.c, "uoe-plain")
	mustBucket(t, r.c, "uoe-vers")
	if _, err := r.c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String("uoe-vers"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	small := func(r *rand.Rand) int { return 4096 + r.IntN(60_000) }
	medium := func(r *rand.Rand) int { return 200_000 + r.IntN(400_000) }
	multi := func(r *rand.Rand) int { return 5*mib + 4096 + r.IntN(200_000) }
	for _, o := range []*stressObject{
		{bucket: "uoe-plain", key: "small", size: small},
		{bucket: "uoe-plain", key: "medium", size: medium},
		{bucket: "uoe-plain", key: "multipart", size: multi, multipart: true},
		{bucket: "uoe-vers", key: "small", size: small, versioned: true},
		{bucket: "uoe-vers", key: "medium", size: medium, versioned: true},
		{bucket: "uoe-vers", key: "multipart", size: multi, multipart: true, versioned: true},
	} {
		o.writes, o.rekeyed = map[uint64]writeMode{}, map[string]bool{}
		r.objects = append(r.objects, o)
	}
	// Every key exists before the goroutines start, the first ones with
	// SSE-S3 so that SSE-S3 → SSE-KMS is among the transitions raced.
	rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
	for _, o := range r.objects {
		r.write(o, rng, r.modeFor(0))
	}
	if r.failures.Load() > 0 {
		t.Fatalf("setup writes failed: %v", r.failMessages)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	spawn := func(n int, fn func(rng *rand.Rand, i int)) {
		for g := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(rand.Uint64(), uint64(g)))
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					fn(rng, i)
				}
			}()
		}
	}
	singles := []*stressObject{r.objects[0], r.objects[1], r.objects[3], r.objects[4]}
	spawn(2, func(rng *rand.Rand, i int) { r.write(singles[rng.IntN(len(singles))], rng, r.modeFor(rng.IntN(4))) })
	// Both multipart keys are rewritten: in the unversioned bucket an
	// overwrite releases the part blobs of a version a GET may be streaming,
	// which must finish with the bytes it started with (the blob grace
	// period, object/gc.go).
	spawn(1, func(rng *rand.Rand, i int) { r.write(r.objects[2+3*rng.IntN(2)], rng, r.modeFor(i)) })
	spawn(3, func(rng *rand.Rand, i int) { r.read(r.objects[rng.IntN(len(r.objects))], rng) })
	spawn(3, func(rng *rand.Rand, i int) { r.rekey(r.objects[rng.IntN(len(r.objects))], rng, i) })
	time.Sleep(uoeStressDuration)
	close(stop)
	wg.Wait()

	var summary []string
	for k, n := range r.counts {
		summary = append(summary, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(summary)
	t.Logf("requests in %v:\n  %s", uoeStressDuration, strings.Join(summary, "\n  "))
	if n := r.failures.Load(); n > 0 {
		t.Fatalf("%d requests failed or read wrong data; the first ones:\n  %s", n, strings.Join(r.failMessages, "\n  "))
	}
	// The run must have exercised what it claims to.
	for _, k := range []string{"PutObject ok", "MultipartUpload ok", "GetObject ok", "GetObject range ok",
		"UpdateObjectEncryption ok current", "UpdateObjectEncryption ok by version id"} {
		if r.counts[k] < 3 {
			t.Errorf("only %d × %q in %v: the run did not exercise it", r.counts[k], k, uoeStressDuration)
		}
	}

	r.checkAtRest()
	if n := r.failures.Load(); n > 0 {
		t.Fatalf("%d checks failed after the run; the first ones:\n  %s", n, strings.Join(r.failMessages, "\n  "))
	}
}

// checkAtRest reads every current version and every recorded version in
// full, checks what HEAD says about its encryption, then re-keys each to
// key A and checks the bytes and HEAD again.
func (r *stressRun) checkAtRest() {
	t := r.t
	for _, o := range r.objects {
		vids := append([]string{""}, o.versions...)
		for _, vid := range vids {
			var opt []func(*s3.GetObjectInput)
			if vid != "" {
				opt = append(opt, func(in *s3.GetObjectInput) { in.VersionId = aws.String(vid) })
			}
			seed, err := checkFullPayload(get(t, r.c, o.bucket, o.key, opt...))
			if err != nil {
				r.fail("final GET %s version %q: %v", o.name(), vid, err)
				continue
			}
			st := headSSE(t, r.c, o.bucket, o.key, vid)
			r.checkSSE(o, "final HEAD version "+vid, seed, st.Type, st.KeyARN)
			if vid != "" && o.rekeyed[vid] && st.Type != types.ServerSideEncryptionAwsKms {
				r.fail("final HEAD %s version %s: %q after a successful UpdateObjectEncryption by version id", o.name(), vid, st.Type)
			}
			mustUOE(t, r.c, o.bucket, o.key, vid, r.keyA, false)
			if got := headSSE(t, r.c, o.bucket, o.key, vid); got != (sseState{types.ServerSideEncryptionAwsKms, r.keyA, false}) {
				r.fail("HEAD %s version %q after the final re-key to key A: %+v", o.name(), vid, got)
			}
			if again, err := checkFullPayload(get(t, r.c, o.bucket, o.key, opt...)); err != nil || again != seed {
				r.fail("GET %s version %q after the final re-key: seed %d (was %d), %v", o.name(), vid, again, seed, err)
			}
		}
	}
}
