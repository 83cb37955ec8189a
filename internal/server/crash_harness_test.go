package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
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

	"github.com/kurastore/kura/internal/fsck"
)

// The crash harness (issue 11, "Proof"; invariants 1, 2, 5 and 8 of the
// design). Four clients run a mix of writes against a `kura server`
// process — single-part PUTs of several sizes under every SSE type,
// multipart uploads completed, abandoned and aborted, CopyObject, deletes
// and delete markers in a versioned bucket, UpdateObjectEncryption — while
// its lifecycle runner, on one-second days, expires, transitions and
// aborts what they wrote. The process is killed with SIGKILL at a random
// moment. Then, every round:
//
//  1. `kura fsck` on the killed data directory finds no damage (orphans
//     left by the kill are counted, not damage);
//  2. a start with 24-hour lifecycle days (the runner stays idle, so what is
//     observed holds still) and --orphan-grace 0 ships the audit outbox and
//     sweeps the orphans;
//  3. every key the clients touched is read over the wire and compared with
//     what they were told: acknowledged writes present with their bytes,
//     encryption and versions; an operation the kill cut off applied
//     completely or not at all;
//  4. after a clean stop, the audit trail holds exactly one event per
//     applied change — unacknowledged ones and lifecycle actions included —
//     and no event for a change that is not there;
//  5. `kura fsck` finds no damage and no orphan.
//
// The clients' model of each key (crash_model_test.go) holds what they
// were told and what the unanswered request would have done; the checks
// (crash_check_test.go) replay lifecycle actions from their audit events.
// Writers turn into deleters beyond a bound, so rounds stay as fast late
// in a run as early on.
//
// `go test ./...` runs crashShortRounds rounds; the long run is
//
//	KURA_CRASH_ROUNDS=60 go test ./internal/server -run 'TestCrashHarness$' -v -timeout 30m
//
// and KURA_CRASH_KEEP=1 keeps the data directory and server logs for a
// post-mortem (docs/crash-testing.md).
func TestCrashHarness(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipped with -short: builds the kura binary and kills it several times")
	}
	h := newCrashHarness(t, crashRoundsToRun(t))
	h.setup()
	for h.round = 1; h.round <= h.rounds; h.round++ {
		h.runRound()
	}
	h.report()
}

// crashShortRounds is the round count of the run in `go test ./...`.
const crashShortRounds = 3

func crashRoundsToRun(t *testing.T) int {
	s := os.Getenv("KURA_CRASH_ROUNDS")
	if s == "" {
		return crashShortRounds
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("KURA_CRASH_ROUNDS=%q: want a positive number of rounds", s)
	}
	return n
}

const crashWorkerCount = 4

// The harness's buckets, one per kind of key.
var crashBuckets = map[crashKind]string{
	kindPlain: "crash-plain", kindVer: "crash-ver",
	kindLCExp: "crash-lc", kindLCTr: "crash-lc", kindLCUp: "crash-lc",
	kindLCV: "crash-lcv",
}

// crashHarness is one run: the binary, the data directory, the model of
// every key and what the run counted.
type crashHarness struct {
	t               *testing.T
	rounds, round   int
	bin, dir, logs  string
	keyA, keyB      string
	ssecKey, ssecMD string
	workers         []*crashWorker
	mu              sync.Mutex
	keys            map[string]*crashKey // by bucket + "/" + key
	stats           crashStats
	began           time.Time
}

// crashStats is what the run did, for its last log line.
type crashStats struct {
	acked            map[string]int // acknowledged requests by event name
	cut, cutApplied  int            // operations a kill cut off; those applied anyway
	orphansAfterKill int            // orphan blobs and temp files fsck found after kills
	maxOrphans       int
	recovered        int // events shipped from the outbox at a restart
	lifecycle        map[string]int
	lifecycleRecov   int // lifecycle events shipped from the outbox
	earlyKills       int // kills during the lifecycle catch-up run at start
	verifiedBytes    int64
}

func newCrashHarness(t *testing.T, rounds int) *crashHarness {
	h := &crashHarness{t: t, rounds: rounds, keys: map[string]*crashKey{}, began: time.Now(),
		stats: crashStats{acked: map[string]int{}, lifecycle: map[string]int{}}}
	h.bin = buildKura(t)
	base := t.TempDir()
	if os.Getenv("KURA_CRASH_KEEP") != "" { // keep the data and the server logs for a post-mortem
		var err error
		if base, err = os.MkdirTemp("", "kura-crash-"); err != nil {
			t.Fatal(err)
		}
		t.Logf("data directory and server logs in %s (kept)", base)
	}
	h.dir, h.logs = filepath.Join(base, "data"), filepath.Join(base, "logs")
	if err := os.MkdirAll(h.logs, 0o700); err != nil {
		t.Fatal(err)
	}
	h.ssecKey, h.ssecMD = sseCKey(0x5c)
	for i := range crashWorkerCount {
		h.workers = append(h.workers, &crashWorker{h: h, id: i + 1, rng: rand.New(rand.NewPCG(rand.Uint64(), uint64(i)))})
	}
	return h
}

// setup creates the KMS keys and the buckets, with their lifecycle rules.
func (h *crashHarness) setup() {
	t := h.t
	p := h.startServer("setup", "--lifecycle-day", "24h")
	c := p.s3Client()
	k := kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.url),
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, "")})
	h.keyA, h.keyB = createKey(t, k), createKey(t, k)
	for _, b := range []string{"crash-plain", "crash-ver", "crash-lc", "crash-lcv"} {
		mustBucket(t, c, b)
	}
	for _, b := range []string{"crash-ver", "crash-lcv"} {
		if _, err := c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	rule := func(id string, f *types.LifecycleRuleFilter) types.LifecycleRule {
		return types.LifecycleRule{ID: aws.String(id), Status: types.ExpirationStatusEnabled, Filter: f}
	}
	exp := rule("expire", lcPrefix("exp/"))
	exp.Expiration = &types.LifecycleExpiration{Days: aws.Int32(1)}
	// Objects under 128 KiB are not transitioned without a size filter
	// (S3's default minimum since 2024).
	tr := rule("transition", &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("tr/"), ObjectSizeGreaterThan: aws.Int64(0)}})
	tr.Transitions = []types.Transition{{Days: aws.Int32(1), StorageClass: types.TransitionStorageClassGlacierIr}}
	tr.Expiration = &types.LifecycleExpiration{Days: aws.Int32(3)}
	abort := rule("abort", lcPrefix("up/"))
	abort.AbortIncompleteMultipartUpload = &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)}
	// On a versioned bucket: a delete marker over the current version one
	// day after it was written, the version itself a day later, then the
	// marker, which has become an expired object delete marker.
	ver := rule("versions", &types.LifecycleRuleFilter{Prefix: aws.String("")})
	ver.Expiration = &types.LifecycleExpiration{Days: aws.Int32(1)}
	ver.NoncurrentVersionExpiration = &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1)}
	for b, rules := range map[string][]types.LifecycleRule{"crash-lc": {exp, tr, abort}, "crash-lcv": {ver}} {
		if _, err := c.PutBucketLifecycleConfiguration(ctx(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(b),
			LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}}); err != nil {
			t.Fatalf("lifecycle rules of %s: %v", b, err)
		}
	}
	p.stop(t)
}

// runRound is one round: load and kill, then the checks.
func (h *crashHarness) runRound() {
	t := h.t
	began := time.Now()
	h.load()
	killed := h.fsck("after the kill", false)
	n := len(killed.Orphans)
	h.stats.orphansAfterKill += n
	h.stats.maxOrphans = max(h.stats.maxOrphans, n)

	p := h.startServer("check", "--lifecycle-day", "24h")
	h.waitSweep(p)
	obs := h.observe(p, h.round%10 == 0 || h.round == h.rounds)
	p.stop(t)
	cut, applied := h.check(obs, h.events())
	clean := h.fsck("after the sweep and a clean stop", true)
	t.Logf("round %d: %d keys, %d operations cut by the kill (%d applied anyway), %d orphans after the kill, %d blobs after the sweep; %s",
		h.round, len(h.keys), cut, applied, n, clean.Blobs, time.Since(began).Round(time.Millisecond))
}

// load starts the server with one-second lifecycle days, runs the
// workers and kills the process at a random moment: in one round in
// four while the lifecycle run that catches up at start is acting on
// what came due since the last round, else later.
func (h *crashHarness) load() {
	t := h.t
	p := h.startServer("load", "--lifecycle-day", "1s")
	c := p.s3Client()
	var killed atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for _, w := range h.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.run(c, &killed); err != nil {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("worker %d: %v", w.id, err))
				mu.Unlock()
			}
		}()
	}
	delay := time.Duration(300+rand.IntN(2200)) * time.Millisecond
	if rand.IntN(4) == 0 {
		delay = time.Duration(20+rand.IntN(280)) * time.Millisecond
		h.stats.earlyKills++
	}
	time.Sleep(delay) // the kill's moment is the point: it is meant to be random
	killed.Store(true)
	p.kill()
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("round %d: requests failed while the server was up:\n  %s\nserver log: %s", h.round, strings.Join(failures, "\n  "), p.logPath)
	}
}

func (h *crashHarness) addKey(k *crashKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.keys[k.bucket+"/"+k.key] = k
}

// crashProc is a `kura server` child process of the harness.
type crashProc struct {
	*kuraProc
	logPath string
}

// startServer runs `kura server` on the harness's data directory with
// SSE-C over HTTP allowed, orphans swept without a grace period, debug
// logs (so the sweep's "found nothing" is visible) and args.
func (h *crashHarness) startServer(name string, args ...string) *crashProc {
	t := h.t
	t.Helper()
	logPath := filepath.Join(h.logs, fmt.Sprintf("%03d-%s.log", h.round, name))
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(h.bin, append([]string{"server", "--data", h.dir, "--listen", "127.0.0.1:0",
		"--allow-insecure-sse-c", "--orphan-grace", "0", "--log-level", "debug"}, args...)...)
	cmd.Env = append(os.Environ(), "KURA_ROOT_ACCESS_KEY="+testAK, "KURA_ROOT_SECRET_KEY="+testSK)
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start kura: %v", err)
	}
	p := &crashProc{kuraProc: &kuraProc{cmd: cmd, stderr: logf}, logPath: logPath}
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
			cmd.Wait()
			t.Fatalf("round %d: kura server (%s) exited before serving:\n%s", h.round, name, readFile(logPath))
		}
		p.url = u
	case <-time.After(60 * time.Second):
		t.Fatalf("round %d: kura server (%s) did not start in 60s:\n%s", h.round, name, readFile(logPath))
	}
	return p
}

// stop sends SIGTERM and waits for a clean exit (status 0).
func (p *crashProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		p.stderr.Close()
		if err != nil {
			t.Fatalf("kura server did not stop cleanly: %v\n%s", err, readFile(p.logPath))
		}
	case <-time.After(60 * time.Second):
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-done
		t.Fatalf("kura server did not stop within 60s of SIGTERM:\n%s", readFile(p.logPath))
	}
}

var sweepDoneRE = regexp.MustCompile(`msg="orphan sweep (found nothing to remove|removed unreferenced blobs|failed)`)

// waitSweep waits for the log line of the sweep at start.
func (h *crashHarness) waitSweep(p *crashProc) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := sweepDoneRE.FindStringSubmatch(readFile(p.logPath)); m != nil {
			if m[1] == "failed" {
				h.t.Fatalf("round %d: the orphan sweep at start failed:\n%s", h.round, readFile(p.logPath))
			}
			return
		}
		time.Sleep(20 * time.Millisecond) // polling a log file, with a deadline
	}
	h.t.Fatalf("round %d: no orphan sweep at start within 60s:\n%s", h.round, readFile(p.logPath))
}

// fsck runs `kura fsck --json` on the stopped data directory and fails the
// test on damage, on anything it could not check and, with noOrphans, on
// any orphan.
func (h *crashHarness) fsck(when string, noOrphans bool) fsck.Report {
	t := h.t
	t.Helper()
	cmd := exec.Command(h.bin, "fsck", "--data", h.dir, "--json")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var r fsck.Report
	if jerr := json.Unmarshal(out, &r); jerr != nil || err != nil {
		var ee *exec.ExitError
		code := 0
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		t.Fatalf("round %d: kura fsck %s: exit %d (%v)\n%s\n%s", h.round, when, code, err, out, stderr.String())
	}
	if len(r.Warnings) > 0 {
		t.Fatalf("round %d: kura fsck %s warns: %+v", h.round, when, r.Warnings)
	}
	if noOrphans && (len(r.Orphans) > 0 || r.OrphansUnknown) {
		t.Fatalf("round %d: kura fsck %s found orphans (unknown: %v): %+v", h.round, when, r.OrphansUnknown, r.Orphans)
	}
	return r
}

// report logs what the whole run did.
func (h *crashHarness) report() {
	s := h.stats
	var ops []string
	total := 0
	for name, n := range s.acked {
		ops = append(ops, fmt.Sprintf("%s %d", name, n))
		total += n
	}
	sort.Strings(ops)
	var lc []string
	lcTotal := 0
	for name, n := range s.lifecycle {
		lc = append(lc, fmt.Sprintf("%s %d", name, n))
		lcTotal += n
	}
	sort.Strings(lc)
	h.t.Logf("crash harness: %d rounds, %d kills (%d during the lifecycle run at start) in %s", h.rounds, h.rounds, s.earlyKills, time.Since(h.began).Round(time.Second))
	h.t.Logf("  %d acknowledged requests: %s", total, strings.Join(ops, ", "))
	h.t.Logf("  %d operations cut off by a kill, %d of them applied anyway; %d keys", s.cut, s.cutApplied, len(h.keys))
	h.t.Logf("  %d lifecycle actions: %s; %d of their events shipped from the outbox", lcTotal, strings.Join(lc, ", "), s.lifecycleRecov)
	h.t.Logf("  %d events shipped from the outbox at restarts; %d orphans left by kills (at most %d in one), all swept; %d MiB read back and compared",
		s.recovered, s.orphansAfterKill, s.maxOrphans, s.verifiedBytes>>20)
}

// crashClient is an S3 client for observing p: no retries, a generous
// timeout.
func crashClient(p *crashProc) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(p.url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, ""),
		HTTPClient:  &http.Client{Timeout: 2 * time.Minute},
		Retryer:     aws.NopRetryer{},
	})
}

// crashCtx is the context of one request of the harness.
func crashCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 60*time.Second)
}
