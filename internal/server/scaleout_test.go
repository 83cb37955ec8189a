package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/blob/s3/s3test"
	"github.com/kurastore/kura/internal/lease"
	"github.com/kurastore/kura/internal/meta/pg"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/server"
	"github.com/kurastore/kura/internal/sse"
)

// cluster is several Kura nodes on one PostgreSQL schema and one shared
// blob store, each with a data directory of its own holding a copy of the
// first node's root key and root credentials.
type cluster struct {
	schema string
	blobs  backend.Blobs
	first  string // the first node's data directory
}

// newCluster is a cluster on a shared blob directory, or on blobs when
// given.
func newCluster(t *testing.T, blobs ...backend.Blobs) *cluster {
	t.Helper()
	c := &cluster{schema: pgtest.Schema(t, t.Name()), blobs: backend.SharedFile(t.TempDir())}
	if len(blobs) > 0 {
		c.blobs = blobs[0]
	}
	return c
}

// s3Blobs is a blob store in a bucket of another Kura (internal/blob/s3).
func s3Blobs(t *testing.T) backend.Blobs {
	t.Helper()
	bk := s3test.Start(t)
	bk.Bucket("backing")
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	b, err := backend.ParseBlobs("s3://backing/nodes/?endpoint=" + bk.URL() + "&path_style=true&region=us-east-1&part_size=5MiB")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// node starts a node on dir (a new one when ""), with adjust applied.
func (c *cluster) node(t *testing.T, dir string, adjust ...func(*server.Config)) *testServer {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	if c.first != "" {
		// Every node needs the first node's root key and root account.
		copyNodeSecrets(t, c.first, dir)
	}
	ts := startOnPostgres(t, dir, c.schema, "", func(cfg *server.Config) {
		cfg.Blobs = c.blobs
		for _, a := range adjust {
			a(cfg)
		}
	})
	if c.first == "" {
		c.first = dir
	}
	return ts
}

// TestNodeRestartReleasesItsLeases: on PostgreSQL a node keeps its id in
// its data directory, and a second process on that directory is refused.
// When the node's process dies holding leases, its restart releases them
// and takes its background work up again at once, not after the leases'
// term; leases held by other nodes are left alone.
func TestNodeRestartReleasesItsLeases(t *testing.T) {
	c := newCluster(t)
	dir := t.TempDir()
	a := c.node(t, dir)
	id := a.NodeID
	raw, err := os.ReadFile(filepath.Join(dir, "node-id"))
	if err != nil || string(raw) != id+"\n" {
		t.Fatalf("node-id file: %q, %v; want %q", raw, err, id)
	}
	mnWait(t, "the node to take its leases", func() bool {
		l, err := a.Lease(ctx(t), server.LeaseBlobGC)
		return err == nil && l.Holder == id
	})
	// A second process on the same data directory is refused.
	m, err := backend.ParseMeta(postgresURL(t, c.schema))
	if err != nil {
		t.Fatal(err)
	}
	_, err = server.Open(server.Config{DataDir: dir, Listen: "127.0.0.1:0", RootAccessKey: testAK, RootSecretKey: testSK,
		Logger: testLogger(), Meta: m, Blobs: c.blobs})
	if err == nil || !errors.Is(err, server.ErrDataDirInUse) {
		t.Fatalf("a second process on the data dir: %v, want ErrDataDirInUse", err)
	}
	a.stop(t)
	// The process "dies" holding every lease (as kill -9 leaves them),
	// and another node holds one of them.
	ms := pgStore(t, c.schema)
	now := time.Now()
	for _, name := range allLeases {
		holder := id
		if name == server.LeaseInventory {
			holder = "other-node"
		}
		if _, err := lease.Acquire(ctx(t), ms, name, holder, now, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := lease.Get(ctx(t), ms, server.LeaseBlobGC)
	a = c.node(t, dir)
	if a.NodeID != id {
		t.Fatalf("node id after a restart: %q, want %q", a.NodeID, id)
	}
	mnWait(t, "the restarted node to take its work up again", func() bool {
		l, err := a.Lease(ctx(t), server.LeaseBlobGC)
		return err == nil && l.Holder == id && l.Term > before.Term
	})
	if l, _ := a.Lease(ctx(t), server.LeaseInventory); l.Holder != "other-node" {
		t.Fatalf("another node's lease after the restart: %+v", l)
	}
}

// postgresURL is the test database's URL with schema.
func postgresURL(t testing.TB, schema string) string {
	t.Helper()
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", schema)
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	return u.String()
}

// pgStore opens the metadata store in schema, as another node would.
func pgStore(t testing.TB, schema string) *pg.Store {
	t.Helper()
	s, err := pg.Open(context.Background(), pgtest.DSN(t), pg.Options{Schema: schema, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestKMSDisableAcrossNodes: a KMS key disabled on node A stops working on
// node B — at once for SSE-KMS without a bucket key (each use reads the
// key's state from the shared metadata), and within sse.BucketKeyRecheck
// for writes and reads through B's S3 Bucket Key cache.
func TestKMSDisableAcrossNodes(t *testing.T) {
	c := newCluster(t)
	a := c.node(t, "")
	b := c.node(t, "")
	ca, cb := a.client(), b.client()
	mustBucket(t, ca, "kmsmn")
	key, err := a.kmsClient().CreateKey(ctx(t), &kms.CreateKeyInput{Description: aws.String("multinode")})
	if err != nil {
		t.Fatal(err)
	}
	keyID := aws.ToString(key.KeyMetadata.KeyId)
	putKMS := func(cl *s3.Client, k string, bucketKey bool) error {
		_, err := cl.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("kmsmn"), Key: aws.String(k),
			Body: strings.NewReader("secret"), ServerSideEncryption: types.ServerSideEncryptionAwsKms,
			SSEKMSKeyId: aws.String(keyID), BucketKeyEnabled: aws.Bool(bucketKey)})
		return err
	}
	getB := func(k string) error {
		out, err := cb.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("kmsmn"), Key: aws.String(k)})
		if err == nil {
			out.Body.Close()
		}
		return err
	}
	// B caches the bucket key for writes and for reads.
	for _, step := range []error{putKMS(cb, "bk", true), getB("bk"), putKMS(cb, "bk2", true), getB("bk2"), putKMS(cb, "plain", false)} {
		if step != nil {
			t.Fatal(step)
		}
	}
	if _, err := a.kmsClient().DisableKey(ctx(t), &kms.DisableKeyInput{KeyId: aws.String(keyID)}); err != nil {
		t.Fatal(err)
	}
	disabled := time.Now()
	if err := putKMS(cb, "plain2", false); err == nil {
		t.Fatal("node B: SSE-KMS write with a key disabled on node A succeeded")
	}
	if err := getB("plain"); err == nil {
		t.Fatal("node B: SSE-KMS read with a key disabled on node A succeeded")
	}
	deadline := disabled.Add(sse.BucketKeyRecheck + 2*time.Second)
	for {
		werr, rerr := putKMS(cb, "bk3", true), getB("bk")
		if werr != nil && rerr != nil {
			var ae smithy.APIError
			if !errors.As(werr, &ae) || !errors.As(rerr, &ae) {
				t.Fatalf("refusals are not S3 errors: %v / %v", werr, rerr)
			}
			t.Logf("node B refused bucket-key writes and reads %v after the key was disabled on node A (bound %v): %v",
				time.Since(disabled).Round(time.Millisecond), sse.BucketKeyRecheck, werr)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node B still uses the disabled key through its bucket key cache %v after it was disabled (write: %v, read: %v)",
				time.Since(disabled), werr, rerr)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestThreeNodes: three Kura nodes on one PostgreSQL schema and one blob
// store (a shared directory; a bucket of another Kura), used round-robin through aws-sdk-go-v2: what one node writes
// every other reads and lists at once; UpdateObjectEncryption on one node
// is what the others serve; of concurrent If-None-Match: * writes of one
// key spread over the nodes exactly one wins; and when a node is killed
// under load (its in-flight requests cut off), no write it acknowledged is
// lost. KURA_TEST_NODES_LOAD sets the load phase's length (default 2s).
func TestThreeNodes(t *testing.T) {
	pgtest.DSN(t) // skips without PostgreSQL
	t.Run("shared directory", func(t *testing.T) { threeNodes(t, newCluster(t)) })
	t.Run("s3 on another Kura", func(t *testing.T) { threeNodes(t, newCluster(t, s3Blobs(t))) })
}

func threeNodes(t *testing.T, c *cluster) {
	nodes := []*testServer{c.node(t, ""), c.node(t, ""), c.node(t, "")}
	clients := make([]*s3.Client, len(nodes))
	for i, n := range nodes {
		clients[i] = n.client(func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	}
	rr := func(i int) *s3.Client { return clients[i%len(clients)] }
	const bucket = "three"
	mustBucket(t, rr(0), bucket)

	t.Run("read and list after write", func(t *testing.T) {
		for i := range 30 {
			k := fmt.Sprintf("raw/%03d", i)
			body := []byte(fmt.Sprintf("body %d via node %d", i, i%3))
			put(t, rr(i), bucket, k, body)
			if got := get(t, rr(i+1), bucket, k); !bytes.Equal(got, body) {
				t.Fatalf("%s written on node %d, read on node %d: %q", k, i%3, (i+1)%3, got)
			}
			out, err := rr(i+2).ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("raw/")})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(out.Contents); n != i+1 || aws.ToString(out.Contents[i].Key) != k {
				t.Fatalf("after writing %s on node %d, node %d lists %d keys", k, i%3, (i+2)%3, n)
			}
		}
		// An overwrite and a delete on one node are what the others see.
		put(t, rr(0), bucket, "raw/000", []byte("new"))
		if got := get(t, rr(1), bucket, "raw/000"); string(got) != "new" {
			t.Fatalf("overwrite on node 0, node 1 reads %q", got)
		}
		if _, err := rr(2).DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("raw/001")}); err != nil {
			t.Fatal(err)
		}
		if _, err := rr(0).HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("raw/001")}); err == nil {
			t.Fatal("deleted on node 2, node 0 still finds it")
		}
	})

	t.Run("UpdateObjectEncryption on one node", func(t *testing.T) {
		body := []byte("re-sealed on node A")
		put(t, rr(0), bucket, "uoe", body)
		arn := createKey(t, nodes[1].kmsClient())
		mustUOE(t, rr(0), bucket, "uoe", "", arn, false)
		for i := 1; i < 3; i++ {
			if s := headSSE(t, rr(i), bucket, "uoe", ""); s.Type != types.ServerSideEncryptionAwsKms || s.KeyARN != arn {
				t.Fatalf("node %d after UpdateObjectEncryption on node 0: %+v, want aws:kms with %s", i, s, arn)
			}
			if got := get(t, rr(i), bucket, "uoe"); !bytes.Equal(got, body) {
				t.Fatalf("node %d reads %q after the re-seal", i, got)
			}
		}
	})

	t.Run("If-None-Match across nodes", func(t *testing.T) {
		const writers = 9 // three per node
		for round := range 5 {
			k := fmt.Sprintf("once/%d", round)
			var wg sync.WaitGroup
			results := make([]error, writers)
			start := make(chan struct{})
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, results[w] = rr(w).PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k),
						Body: strings.NewReader(fmt.Sprintf("writer %d", w)), IfNoneMatch: aws.String("*")})
				}()
			}
			close(start)
			wg.Wait()
			won := -1
			for w, err := range results {
				var re interface{ HTTPStatusCode() int }
				switch {
				case err == nil:
					if won >= 0 {
						t.Fatalf("%s: writers %d and %d both won", k, won, w)
					}
					won = w
				case errors.As(err, &re) && (re.HTTPStatusCode() == 412 || re.HTTPStatusCode() == 409):
				default:
					t.Fatalf("%s: writer %d: %v, want 412 PreconditionFailed or 409 ConditionalRequestConflict", k, w, err)
				}
			}
			if won < 0 {
				t.Fatalf("%s: no writer won", k)
			}
			for i := range 3 {
				if got := string(get(t, rr(i), bucket, k)); got != fmt.Sprintf("writer %d", won) {
					t.Fatalf("%s: node %d reads %q, writer %d won", k, i, got, won)
				}
			}
		}
	})

	t.Run("a node killed under load", func(t *testing.T) {
		load := 2 * time.Second
		if v := os.Getenv("KURA_TEST_NODES_LOAD"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Fatal(err)
			}
			load = d
		}
		writes := startLoad(clients, bucket)
		time.Sleep(load / 2)
		// Kill node 2: its drain ends at once, in-flight requests are
		// cancelled, its listener and connections closed.
		dead, cancel := context.WithCancel(context.Background())
		cancel()
		nodes[2].Shutdown(dead)
		time.Sleep(load / 2)
		acked := writes.finish()
		survivors := clients[:2]
		checkAcked(t, acked, survivors, bucket, "node 2 was killed")
		var listed int
		p := s3.NewListObjectsV2Paginator(survivors[0], &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("load/")})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			listed += len(out.Contents)
		}
		if listed < len(acked) {
			t.Fatalf("%d keys listed, %d writes acknowledged", listed, len(acked))
		}
		t.Logf("%d writes acknowledged (%d refused, the killed node's), all read back from the surviving nodes; %d listed; node 2 killed %v into the load",
			len(acked), writes.fails.Load(), listed, load/2)
	})
}

// TestClusterAuditTrail: with two nodes on one PostgreSQL schema, every
// event each node writes to its own trail file is also in the one cluster
// trail in the shared store, tagged with its node, in one order; after a
// clean stop nothing is missing.
func TestClusterAuditTrail(t *testing.T) {
	c := newCluster(t)
	a, b := c.node(t, ""), c.node(t, "")
	ca, cb := a.client(), b.client()
	mustBucket(t, ca, "trail")
	put(t, ca, "trail", "from-a", []byte("a"))
	put(t, cb, "trail", "from-b", []byte("b"))
	get(t, cb, "trail", "from-a")
	if _, err := cb.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("trail"), Key: aws.String("missing")}); err == nil {
		t.Fatal("GET of a missing key succeeded")
	}
	a.stop(t)
	b.stop(t)
	local := map[string]string{} // event id → node, from the trail files
	for _, n := range []*testServer{a, b} {
		if err := audit.Query(audit.DirIn(n.dir), audit.Filter{}, func(ev audit.Event) error {
			local[ev.EventID] = n.NodeID
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	inCluster := map[string]bool{}
	if err := audit.QueryCluster(ctx(t), pgStore(t, c.schema), audit.Filter{Bucket: "trail"}, func(ev audit.ClusterEvent) error {
		if node, ok := local[ev.EventID]; !ok || node != ev.Node {
			t.Errorf("cluster event %s (%s by %s) is not in that node's trail file", ev.EventID, ev.EventName, ev.Node)
		}
		names = append(names, ev.EventName+"@"+map[string]string{a.NodeID: "a", b.NodeID: "b"}[ev.Node])
		inCluster[ev.EventID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CreateBucket@a", "PutObject@a", "PutObject@b", "GetObject@b"} {
		if !slices.Contains(names, want) {
			t.Errorf("cluster trail %v lacks %s", names, want)
		}
	}
	all := map[string]bool{}
	if err := audit.QueryCluster(ctx(t), pgStore(t, c.schema), audit.Filter{}, func(ev audit.ClusterEvent) error {
		all[ev.EventID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for id, node := range local {
		if !all[id] {
			t.Errorf("event %s of %s's trail file is not in the cluster trail", id, node)
		}
	}
	if len(all) != len(local) {
		t.Errorf("%d events in the cluster trail, %d in the trail files", len(all), len(local))
	}
	t.Logf("cluster trail: %d events from 2 nodes; the bucket's in order: %v", len(all), names)
}

// TestKill9NodeUnderLoad: three `kura server` processes on one PostgreSQL
// schema and one blob directory, under round-robin PUT load. The first
// node (which took the background leases) is killed with SIGKILL half-way:
// no write any node acknowledged is lost, and its restart on the same
// data directory (the kernel dropped its lock) releases the leases it
// held and takes the work up again at once, not after the lease term.
func TestKill9NodeUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: builds the kura binary")
	}
	bin := buildKura(t)
	schema := pgtest.Schema(t, t.Name())
	blobs := t.TempDir()
	flags := []string{"--meta", postgresURL(t, schema), "--blobs", "file://" + blobs + "?shared=1"}
	dirs := []string{filepath.Join(t.TempDir(), "data"), filepath.Join(t.TempDir(), "data"), filepath.Join(t.TempDir(), "data")}
	procs := []*kuraProc{startKura(t, bin, dirs[0], 0, flags...)}
	for i, d := range dirs[1:] {
		copyNodeSecrets(t, dirs[0], d)
		procs = append(procs, startKura(t, bin, d, i+1, flags...))
	}
	ms := pgStore(t, schema)
	raw, err := os.ReadFile(filepath.Join(dirs[0], "node-id"))
	if err != nil {
		t.Fatal(err)
	}
	victim := strings.TrimSpace(string(raw))
	held := map[string]lease.Lease{}
	mnWait(t, "the first node to hold its leases", func() bool {
		for _, name := range allLeases {
			l, err := lease.Get(ctx(t), ms, name)
			if err != nil || l.Holder == "" {
				return false
			}
			if l.Holder == victim {
				held[name] = l
			}
		}
		return len(held) > 0
	})
	clients := make([]*s3.Client, len(procs))
	for i, p := range procs {
		clients[i] = p.s3Client()
	}
	mustBucket(t, clients[0], "kill9")
	writes := startLoad(clients, "kill9", func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	time.Sleep(time.Second)
	procs[0].kill()
	time.Sleep(time.Second)
	acked := writes.finish()
	checkAcked(t, acked, clients[1:], "kill9", "the SIGKILL")
	restarted := time.Now()
	procs[0] = startKura(t, bin, dirs[0], 3, flags...)
	mnWait(t, "the restarted node to take its work up again", func() bool {
		for name, before := range held {
			l, err := lease.Get(ctx(t), ms, name)
			if err != nil || l.Holder == "" || l.Term <= before.Term {
				return false
			}
		}
		return true
	})
	took := time.Since(restarted)
	if took > lease.DefaultTTL/2 {
		t.Fatalf("the restarted node's work resumed after %v; the lease term is %v", took, lease.DefaultTTL)
	}
	t.Logf("%d writes acknowledged, %d refused; none lost after SIGKILL of a node; its %d leases taken up %v after its restart started",
		len(acked), writes.fails.Load(), len(held), took.Round(time.Millisecond))
}

// writeLoad is six writers PUTting new keys load/<writer>/<n> into one
// bucket, round-robin over the nodes' clients, until finished: the load a
// node is killed under.
type writeLoad struct {
	mu    sync.Mutex
	acked map[string]string // key → body of acknowledged writes
	fails atomic.Int64      // refused writes: the killed node's fail, which is allowed
	stop  chan struct{}
	wg    sync.WaitGroup
}

// startLoad starts the writers; opts apply to every PUT.
func startLoad(clients []*s3.Client, bucket string, opts ...func(*s3.Options)) *writeLoad {
	l := &writeLoad{acked: map[string]string{}, stop: make(chan struct{})}
	for w := range 6 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				k := fmt.Sprintf("load/%d/%05d", w, i)
				body := fmt.Sprintf("%s %x", k, rand.Uint64())
				cx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := clients[(w+i)%len(clients)].PutObject(cx,
					&s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(body)}, opts...)
				cancel()
				if err != nil {
					l.fails.Add(1)
					continue
				}
				l.mu.Lock()
				l.acked[k] = body
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// finish stops the writers and returns the writes acknowledged.
func (l *writeLoad) finish() map[string]string {
	close(l.stop)
	l.wg.Wait()
	return l.acked
}

// checkAcked fails t unless there were acknowledged writes and every one
// reads back, spread over the surviving nodes' clients, after what
// happened to the others.
func checkAcked(t *testing.T, acked map[string]string, survivors []*s3.Client, bucket, after string) {
	t.Helper()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged")
	}
	for k, body := range acked {
		if got := string(get(t, survivors[len(k)%len(survivors)], bucket, k)); got != body {
			t.Fatalf("acknowledged write %s lost after %s: read %q", k, after, got)
		}
	}
}
