package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/tcplb"
)

// TestClusterFaults (issue 17, docs/scale-out.md "Faults"): three `kura
// server` processes on one PostgreSQL schema and one shared blob
// directory, behind a round-robin TCP balancer, under mixed load (PUT,
// GET, LIST, DELETE from several clients). One node is killed with
// SIGKILL and restarted; then PostgreSQL is cut for 10 s by a TCP proxy
// between the nodes and the database (the machine's PostgreSQL is never
// touched). Required: no acknowledged write lost (every PUT answered 200
// and not deleted reads back with its bytes afterwards), no 500 and no
// wrong answer at any time, 503 during the outage, and recovery without
// anyone acting.
//
// It takes about a minute: it runs when KURA_TEST_CLUSTER_FAULTS=1
// (scripts/cluster-faults.sh, .ci/run).
func TestClusterFaults(t *testing.T) {
	if os.Getenv("KURA_TEST_CLUSTER_FAULTS") == "" {
		t.Skip("set KURA_TEST_CLUSTER_FAULTS=1 to run the 3-process cluster fault test (about a minute)")
	}
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, t.Name())
	bin := buildKura(t)

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pgProxy := newFaultProxy(t) // replication_link_test.go
	pgProxy.target.Store(u.Host)
	u.Host = pgProxy.ln.Addr().String()
	q := u.Query()
	q.Set("schema", schema)
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	meta := u.String()
	blobs := "file://" + t.TempDir() + "?shared=1"

	nodes := make([]*clusterNode, 3)
	backends := make([]string, 3)
	for i := range nodes {
		n := &clusterNode{t: t, bin: bin, dir: t.TempDir(), meta: meta, blobs: blobs, addr: freeAddr(t), name: fmt.Sprintf("node%d", i+1)}
		if i > 0 {
			// One deployment: node1's root key and root account.
			copyNodeSecrets(t, nodes[0].dir, n.dir)
		}
		n.start()
		t.Cleanup(n.kill)
		nodes[i] = n
		backends[i] = n.addr
	}
	lb := startRoundRobin(t, backends)
	c := rawClient("http://" + lb)
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("faults")}); err != nil {
		t.Fatal(err)
	}

	var (
		mu      sync.Mutex
		acked   = map[string][32]byte{} // PUT 200, not deleted
		unsure  = map[string]bool{}     // DELETE without an answer: either
		bad     []string
		phase   atomic.Value
		counts  = map[string]map[string]int{} // phase → outcome → n
		stop    = make(chan struct{})
		workers sync.WaitGroup
	)
	phase.Store("steady")
	note := func(outcome string) {
		mu.Lock()
		p := phase.Load().(string)
		if counts[p] == nil {
			counts[p] = map[string]int{}
		}
		counts[p][outcome]++
		mu.Unlock()
	}
	// judge classifies an error: 503 is allowed, and a connection
	// failure while a node is down or restarting or the database is cut;
	// anything else is not.
	judge := func(op string, err error) {
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
			code := ""
			var ae smithy.APIError
			if errors.As(err, &ae) {
				code = ae.ErrorCode()
			}
			outcome := fmt.Sprintf("%d %s", re.HTTPStatusCode(), code)
			note(outcome)
			if re.HTTPStatusCode() != 503 {
				mu.Lock()
				bad = append(bad, fmt.Sprintf("%s in %s: %s: %v", op, phase.Load(), outcome, err))
				mu.Unlock()
			}
			return
		}
		note("no answer")
		// Only a node's death or restart excuses a connection without an
		// answer.
		if p := phase.Load().(string); p == "steady" || p == "recovered" {
			mu.Lock()
			bad = append(bad, fmt.Sprintf("%s in %s: no answer: %v", op, p, err))
			mu.Unlock()
		}
	}
	for w := range 4 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			c := rawClient("http://" + lb)
			var mine []string
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				cx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				switch r := rand.IntN(10); {
				case r < 5 || len(mine) == 0:
					key := fmt.Sprintf("w%d/%06d", w, i)
					body := make([]byte, 1+rand.IntN(64<<10))
					for j := range body {
						body[j] = byte(rand.Uint32())
					}
					_, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("faults"), Key: aws.String(key), Body: bytes.NewReader(body)})
					if err != nil {
						judge("PUT "+key, err)
						break
					}
					note("200")
					mu.Lock()
					acked[key] = sha256.Sum256(body)
					mu.Unlock()
					mine = append(mine, key)
				case r < 8:
					key := mine[rand.IntN(len(mine))]
					out, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("faults"), Key: aws.String(key)})
					if err != nil {
						judge("GET "+key, err)
						break
					}
					data, err := io.ReadAll(out.Body)
					out.Body.Close()
					if err != nil {
						judge("GET "+key+" (body)", err) // the node died mid-body
						break
					}
					note("200")
					mu.Lock()
					if want := acked[key]; sha256.Sum256(data) != want {
						bad = append(bad, fmt.Sprintf("GET %s in %s: %d bytes that are not the ones put", key, phase.Load(), len(data)))
					}
					mu.Unlock()
				case r < 9:
					_, err := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("faults"), Prefix: aws.String(fmt.Sprintf("w%d/", w))})
					if err != nil {
						judge("LIST", err)
						break
					}
					note("200")
				default:
					k := rand.IntN(len(mine))
					key := mine[k]
					mine = append(mine[:k], mine[k+1:]...)
					mu.Lock()
					delete(acked, key)
					mu.Unlock()
					_, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("faults"), Key: aws.String(key)})
					if err != nil {
						judge("DELETE "+key, err)
						mu.Lock()
						unsure[key] = true
						mu.Unlock()
						break
					}
					note("204")
				}
				cancel()
			}
		}()
	}

	time.Sleep(4 * time.Second)
	phase.Store("node2 killed")
	nodes[1].kill()
	time.Sleep(3 * time.Second)
	phase.Store("node2 restarting")
	nodes[1].start()
	time.Sleep(3 * time.Second)
	phase.Store("postgres cut")
	pgProxy.setCut(true)
	time.Sleep(10 * time.Second)
	phase.Store("recovering")
	pgProxy.setCut(false)
	// Recovery without operator action: every node takes a PUT and
	// serves it back within 30 s of the database coming back.
	start := time.Now()
	for _, n := range nodes {
		nc := rawClient("http://" + n.addr)
		for {
			key := "probe/" + n.name
			_, err := nc.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("faults"), Key: aws.String(key), Body: strings.NewReader(n.name)})
			if err == nil {
				break
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("%s has not recovered 30 s after PostgreSQL came back: %v\n%s", n.name, err, n.logTail())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	t.Logf("every node took a PUT %v after PostgreSQL came back", time.Since(start).Round(time.Millisecond))
	phase.Store("recovered")
	time.Sleep(3 * time.Second)
	close(stop)
	workers.Wait()

	// No acknowledged write lost.
	checked := 0
	for key, want := range acked {
		if unsure[key] {
			continue
		}
		out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("faults"), Key: aws.String(key)})
		if err != nil {
			bad = append(bad, fmt.Sprintf("after recovery: acknowledged %s: %v", key, err))
			continue
		}
		data, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if sha256.Sum256(data) != want {
			bad = append(bad, fmt.Sprintf("after recovery: acknowledged %s reads back %d other bytes", key, len(data)))
		}
		checked++
	}
	for _, p := range []string{"steady", "node2 killed", "node2 restarting", "postgres cut", "recovering", "recovered"} {
		t.Logf("%-17s %v", p, counts[p])
	}
	t.Logf("%d acknowledged objects read back after recovery", checked)
	if counts["postgres cut"]["503 ServiceUnavailable"]+counts["postgres cut"]["503 SlowDown"] == 0 {
		t.Errorf("no 503 while PostgreSQL was cut: %v", counts["postgres cut"])
	}
	if counts["recovered"]["200"] == 0 {
		t.Errorf("no request succeeded after recovery: %v", counts["recovered"])
	}
	if checked < 50 {
		t.Errorf("only %d acknowledged objects: too little load to judge", checked)
	}
	if len(bad) > 0 {
		// What the nodes logged about the wrong answers.
		for _, n := range nodes {
			t.Logf("%s's log, lines naming an error (first 10):\n%s", n.name, errorLines(n.dir, 10))
		}
	}
	for i, b := range bad {
		if i == 20 {
			t.Errorf("… and %d more", len(bad)-20)
			break
		}
		t.Error(b)
	}
}

// rawClient is an S3 client of the root without retries: every answer
// the test sees is the server's.
func rawClient(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(testAK, testSK, ""),
		UsePathStyle: true,
		Retryer:      aws.NopRetryer{},
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// clusterNode is one `kura server` child process on a fixed address.
type clusterNode struct {
	t                                 *testing.T
	bin, dir, meta, blobs, addr, name string
	cmd                               *exec.Cmd
	log                               *os.File
	runs                              int
}

func (n *clusterNode) start() {
	t := n.t
	t.Helper()
	n.runs++
	logf, err := os.Create(filepath.Join(n.dir, fmt.Sprintf("server-%d.log", n.runs)))
	if err != nil {
		t.Fatal(err)
	}
	n.log = logf
	n.cmd = exec.Command(n.bin, "server", "--data", n.dir, "--listen", n.addr, "--admin-listen", "off",
		"--meta", n.meta, "--blobs", n.blobs)
	n.cmd.Env = append(os.Environ(), "KURA_ROOT_ACCESS_KEY="+testAK, "KURA_ROOT_SECRET_KEY="+testSK, "KURA_ROOT_KEY=")
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", n.name, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if c, err := net.Dial("tcp", n.addr); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s in 60 s:\n%s", n.name, n.addr, n.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill: SIGKILL, as a crash.
func (n *clusterNode) kill() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	n.cmd.Process.Signal(syscall.SIGKILL)
	n.cmd.Wait()
	n.cmd = nil
	n.log.Close()
}

func (n *clusterNode) logTail() string {
	data, _ := os.ReadFile(n.log.Name())
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// startRoundRobin is the test's balancer (package tcplb, as
// scripts/cluster.sh runs it): each connection goes to the next backend
// that accepts it.
func startRoundRobin(t *testing.T, backends []string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go tcplb.Serve(ln, backends)
	return ln.Addr().String()
}

// errorLines returns up to max lines of dir's server logs that report an
// internal error.
func errorLines(dir string, max int) string {
	logs, _ := filepath.Glob(filepath.Join(dir, "server-*.log"))
	var out []string
	for _, l := range logs {
		data, _ := os.ReadFile(l)
		for _, line := range strings.Split(string(data), "\n") {
			if strings.Contains(line, "level=ERROR") || strings.Contains(line, "InternalError") || strings.Contains(line, "status=500") {
				out = append(out, line)
				if len(out) == max {
					return strings.Join(out, "\n")
				}
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestClusterFigure (docs/benchmarks.md "A 3-node cluster"): 4 KiB PUT
// and GET operations per second with 16 concurrent clients, against one
// node and against three behind the round-robin balancer (all on one
// PostgreSQL schema and one shared blob directory, on this machine).
// Runs when KURA_CLUSTER_FIGURE is set to the seconds each phase lasts.
func TestClusterFigure(t *testing.T) {
	secs := os.Getenv("KURA_CLUSTER_FIGURE")
	if secs == "" {
		t.Skip("set KURA_CLUSTER_FIGURE=SECONDS for the 1-node vs 3-node figure")
	}
	d, err := time.ParseDuration(secs + "s")
	if err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.DSN(t)
	bin := buildKura(t)
	for _, n := range []int{1, 3} {
		u, _ := url.Parse(dsn)
		q := u.Query()
		q.Set("schema", pgtest.Schema(t, fmt.Sprintf("%s/%d", t.Name(), n)))
		u.RawQuery = q.Encode()
		blobs := "file://" + t.TempDir() + "?shared=1"
		var addrs []string
		var first string
		for i := range n {
			nd := &clusterNode{t: t, bin: bin, dir: t.TempDir(), meta: u.String(), blobs: blobs, addr: freeAddr(t), name: fmt.Sprintf("node%d", i+1)}
			if i == 0 {
				first = nd.dir
			} else {
				copyNodeSecrets(t, first, nd.dir)
			}
			nd.start()
			t.Cleanup(nd.kill)
			addrs = append(addrs, nd.addr)
		}
		endpoint := addrs[0]
		if n > 1 {
			endpoint = startRoundRobin(t, addrs)
		}
		c := rawClient("http://" + endpoint)
		if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("fig")}); err != nil {
			t.Fatal(err)
		}
		body := make([]byte, 4<<10)
		for _, op := range []string{"PUT", "GET"} {
			var ops, errs atomic.Int64
			deadline := time.Now().Add(d)
			var wg sync.WaitGroup
			for w := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := rawClient("http://" + endpoint)
					for i := 0; time.Now().Before(deadline); i++ {
						key := fmt.Sprintf("w%d/%d", w, i%200)
						var err error
						if op == "PUT" {
							_, err = c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("fig"), Key: aws.String(key), Body: bytes.NewReader(body)})
						} else {
							var out *s3.GetObjectOutput
							out, err = c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("fig"), Key: aws.String(key)})
							if err == nil {
								io.Copy(io.Discard, out.Body)
								out.Body.Close()
							}
						}
						if err != nil {
							errs.Add(1)
							continue
						}
						ops.Add(1)
					}
				}()
			}
			wg.Wait()
			load, _ := os.ReadFile("/proc/loadavg")
			t.Logf("%d node(s), 4 KiB %s, c=16: %.0f ops/s (%d errors); loadavg %s", n, op, float64(ops.Load())/d.Seconds(), errs.Load(), strings.Fields(string(load))[0])
		}
	}
}
