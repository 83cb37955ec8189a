package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Invariant 2 of the design, the crash half: a kura process killed with
// SIGKILL while UpdateObjectEncryption calls are in flight restarts with
// every object under exactly one of the two keys, its data and everything
// else about it unchanged, and every acknowledged call durable.

const (
	crashObjects = 50
	crashRounds  = 8
	crashWorkers = 4
)

// kuraProc is a `kura server` child process.
type kuraProc struct {
	cmd    *exec.Cmd
	url    string
	stderr *os.File
}

// kuraBin is the kura binary the tests that run `kura server` as a child
// process share: built once per package run (by the first test that asks)
// into a directory TestMain removes, not once per test.
var kuraBin struct {
	once      sync.Once
	dir, path string
	err       error
}

// buildKura returns the path of cmd/kura built from this module, building
// it on the first call.
func buildKura(t *testing.T) string {
	t.Helper()
	kuraBin.once.Do(func() {
		gomod, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil || strings.TrimSpace(string(gomod)) == "" {
			kuraBin.err = fmt.Errorf("go env GOMOD: %q, %v", gomod, err)
			return
		}
		dir, err := os.MkdirTemp("", "kura-test-bin-")
		if err != nil {
			kuraBin.err = err
			return
		}
		kuraBin.dir = dir
		bin := filepath.Join(dir, "kura")
		build := exec.Command("go", "build", "-o", bin, "./cmd/kura")
		build.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
		if out, err := build.CombinedOutput(); err != nil {
			kuraBin.err = fmt.Errorf("go build ./cmd/kura: %v\n%s", err, out)
			return
		}
		kuraBin.path = bin
	})
	if kuraBin.err != nil {
		t.Fatal(kuraBin.err)
	}
	return kuraBin.path
}

var servingRE = regexp.MustCompile(`serving S3 at (\S+)`)

// startKura runs `kura server` on dir with the test's root credentials
// (and extra flags, if any) and waits for the banner that says where it
// listens. Server logs go to a file in dir's parent, shown when the test
// fails.
func startKura(t *testing.T, bin, dir string, round int, flags ...string) *kuraProc {
	t.Helper()
	logPath := filepath.Join(filepath.Dir(dir), fmt.Sprintf("server-%d.log", round))
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"server", "--data", dir, "--listen", "127.0.0.1:0"}, flags...)...)
	cmd.Env = append(os.Environ(), "KURA_ROOT_ACCESS_KEY="+testAK, "KURA_ROOT_SECRET_KEY="+testSK)
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start kura: %v", err)
	}
	p := &kuraProc{cmd: cmd, stderr: logf}
	t.Cleanup(func() { p.kill() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		close(urls)
	}()
	select {
	case u, ok := <-urls:
		if !ok {
			t.Fatalf("kura server (round %d) exited before serving:\n%s", round, readFile(logPath))
		}
		p.url = u
	case <-time.After(30 * time.Second):
		t.Fatalf("kura server (round %d) did not start in 30s:\n%s", round, readFile(logPath))
	}
	return p
}

// kill sends SIGKILL (a crash: no shutdown code runs) and reaps the
// process; it is a no-op once the process is gone.
func (p *kuraProc) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
	}
	p.stderr.Close()
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func (p *kuraProc) s3Client() *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(p.url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, ""),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
		Retryer:     aws.NopRetryer{}, // a call must succeed or fail once, visibly
	})
}

// crashFacts is what must not change about an object however often its
// encryption changes or the server crashes.
type crashFacts struct {
	ETag, LastModified, ChecksumType string
	CRC32, CRC32C, SHA256, CRC64NVME string
	ContentLength                    int64
	PartsCount                       int32
}

type crashObject struct {
	key   string
	data  []byte
	facts crashFacts
	state sseState // as HEAD showed it after the last restart
	// Per round, written only by the object's worker.
	acked, inflight *sseState
}

func headFacts(t *testing.T, c *s3.Client, key string) (crashFacts, sseState) {
	t.Helper()
	out, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("crash"), Key: aws.String(key),
		ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("head %s: %v", key, err)
	}
	return crashFacts{
			ETag: aws.ToString(out.ETag), LastModified: out.LastModified.UTC().Format(time.RFC3339), ChecksumType: string(out.ChecksumType),
			CRC32: aws.ToString(out.ChecksumCRC32), CRC32C: aws.ToString(out.ChecksumCRC32C), SHA256: aws.ToString(out.ChecksumSHA256),
			CRC64NVME: aws.ToString(out.ChecksumCRC64NVME), ContentLength: aws.ToInt64(out.ContentLength), PartsCount: aws.ToInt32(out.PartsCount),
		},
		sseState{out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId), aws.ToBool(out.BucketKeyEnabled)}
}

// TestUOECrash puts crashObjects objects (SSE-S3 and SSE-KMS, two of them
// multipart) on a `kura server` process, then for crashRounds rounds runs
// concurrent UpdateObjectEncryption calls flipping objects between keys A
// and B (bucket key on or off at random), SIGKILLs the process 10–300 ms
// in, restarts it on the same data dir and checks every object: same bytes,
// same ETag, Last-Modified and checksums, and an encryption that is either
// what the last acknowledged call asked for or what the call in flight at
// the kill asked for (or the original one when no call was acknowledged).
// Calls to one object are sequential, so at most one is in flight.
func TestUOECrash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipped with -short: builds the kura binary and restarts it several times (~20 s)")
	}
	bin := buildKura(t)
	dir := filepath.Join(t.TempDir(), "data")
	p := startKura(t, bin, dir, 0)
	c := p.s3Client()
	k := kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.url),
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, "")})
	keyA, keyB := createKey(t, k), createKey(t, k)
	mustBucket(t, c, "crash")

	objs := make([]*crashObject, crashObjects)
	for i := range objs {
		o := &crashObject{key: fmt.Sprintf("obj-%02d", i)}
		sse, keyID, bk := types.ServerSideEncryptionAes256, (*string)(nil), (*bool)(nil)
		if i%3 != 0 {
			sse, keyID, bk = types.ServerSideEncryptionAwsKms, aws.String(keyA), aws.Bool(i%2 == 0)
		}
		if i < 2 {
			create := &s3.CreateMultipartUploadInput{Bucket: aws.String("crash"), Key: aws.String(o.key),
				ServerSideEncryption: sse, SSEKMSKeyId: keyID, BucketKeyEnabled: bk, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32}
			cr, err := c.CreateMultipartUpload(ctx(t), create)
			if err != nil {
				t.Fatal(err)
			}
			var parts []types.CompletedPart
			for n, size := range []int{5 * mib, 300_000} {
				data := randBytes(size)
				o.data = append(o.data, data...)
				out, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String("crash"), Key: aws.String(o.key), UploadId: cr.UploadId,
					PartNumber: aws.Int32(int32(n + 1)), Body: bytes.NewReader(data), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
				if err != nil {
					t.Fatal(err)
				}
				parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(n + 1)), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
			}
			if _, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String("crash"), Key: aws.String(o.key),
				UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
				t.Fatal(err)
			}
		} else {
			o.data = randBytes(1000 + rand.IntN(100_000))
			if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("crash"), Key: aws.String(o.key), Body: bytes.NewReader(o.data),
				ServerSideEncryption: sse, SSEKMSKeyId: keyID, BucketKeyEnabled: bk, ChecksumAlgorithm: types.ChecksumAlgorithmSha256}); err != nil {
				t.Fatal(err)
			}
		}
		o.facts, o.state = headFacts(t, c, o.key)
		objs[i] = o
	}

	var acked, inflightAtKill, committedUnacked int
	var calls atomic.Int64 // acknowledged calls, all rounds
	for round := 1; round <= crashRounds; round++ {
		var killed atomic.Bool
		var failMu sync.Mutex
		var failures []string
		var wg sync.WaitGroup
		for w := range crashWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(rand.Uint64(), uint64(w)))
				var mine []*crashObject
				for i := w; i < len(objs); i += crashWorkers {
					mine = append(mine, objs[i])
				}
				for !killed.Load() {
					o := mine[rng.IntN(len(mine))]
					target := sseState{types.ServerSideEncryptionAwsKms, keyA, rng.IntN(2) == 0}
					if last := o.state; o.acked != nil {
						last = *o.acked
						if last.KeyARN == keyA {
							target.KeyARN = keyB
						}
					} else if last.KeyARN == keyA {
						target.KeyARN = keyB
					}
					o.inflight = &target
					cx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					_, err := c.UpdateObjectEncryption(cx, &s3.UpdateObjectEncryptionInput{Bucket: aws.String("crash"), Key: aws.String(o.key),
						ObjectEncryption: &types.ObjectEncryptionMemberSSEKMS{Value: types.SSEKMSEncryption{
							KMSKeyArn: aws.String(target.KeyARN), BucketKeyEnabled: aws.Bool(target.BucketKey)}}})
					cancel()
					if err == nil {
						calls.Add(1)
						o.acked, o.inflight = &target, nil
						continue
					}
					if !killed.Load() {
						failMu.Lock()
						failures = append(failures, fmt.Sprintf("%s → %+v before the kill: %v", o.key, target, err))
						failMu.Unlock()
					}
					return // o.inflight stays: it may or may not have committed
				}
			}()
		}
		time.Sleep(time.Duration(10+rand.IntN(291)) * time.Millisecond)
		killed.Store(true)
		p.kill()
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("round %d: UpdateObjectEncryption failed while the server was up:\n  %s", round, strings.Join(failures, "\n  "))
		}

		p = startKura(t, bin, dir, round)
		c = p.s3Client()
		var roundAcked, roundInflight int
		for _, o := range objs {
			want := []sseState{o.state}
			if o.acked != nil {
				want = []sseState{*o.acked}
				roundAcked++
			}
			if o.inflight != nil {
				want = append(want, *o.inflight)
				roundInflight++
			}
			facts, got := headFacts(t, c, o.key)
			if facts != o.facts {
				t.Fatalf("round %d: %s changed:\n  before %+v\n  after  %+v", round, o.key, o.facts, facts)
			}
			ok := false
			for _, w := range want {
				ok = ok || got == w
			}
			if !ok {
				t.Fatalf("round %d: %s is %+v after the restart, want one of %+v (last acknowledged, then in flight)", round, o.key, got, want)
			}
			if got.Type != types.ServerSideEncryptionAwsKms && o.acked != nil {
				t.Fatalf("round %d: %s is %+v after an acknowledged re-key", round, o.key, got)
			}
			if o.inflight != nil && got == *o.inflight && (o.acked == nil || got != *o.acked) && got != o.state {
				committedUnacked++
			}
			if body := get(t, c, "crash", o.key); !bytes.Equal(body, o.data) {
				t.Fatalf("round %d: %s: GET returned different bytes (%d, want %d)", round, o.key, len(body), len(o.data))
			}
			o.state, o.acked, o.inflight = got, nil, nil
		}
		t.Logf("round %d: %d objects re-keyed with an acknowledgement, %d calls in flight at the kill", round, roundAcked, roundInflight)
		acked += roundAcked
		inflightAtKill += roundInflight
	}
	t.Logf("%d rounds: %d calls acknowledged (on %d objects × rounds), %d calls in flight at a kill, %d of those committed without an answer",
		crashRounds, calls.Load(), acked, inflightAtKill, committedUnacked)
	if acked == 0 || inflightAtKill == 0 {
		t.Fatalf("the rounds proved little: %d acknowledged re-keys, %d calls cut by a kill", acked, inflightAtKill)
	}
	// Every object has been moved to KMS or, if never touched, is still
	// what it was put as; both are checked above. Make sure the
	// never-acknowledged ones are not stuck: one last re-key each.
	for _, o := range objs {
		if err := uoe(t, c, "crash", o.key, "", keyB, false); err != nil {
			t.Fatalf("final re-key of %s: %v", o.key, err)
		}
		if body := get(t, c, "crash", o.key); !bytes.Equal(body, o.data) {
			t.Fatalf("%s differs after the final re-key", o.key)
		}
	}
}
