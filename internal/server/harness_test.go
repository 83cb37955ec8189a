package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/server"
	"github.com/kurastore/kura/internal/tcplb"
)

const (
	testAK = "AKIAKURATEST00000001"
	testSK = "kura-test-secret-key-0000000000000000000"
)

// testServer is a Kura server on a loopback port with its data dir. In
// cluster mode (KURA_TEST_NODES, clusterNodes) it is several nodes on one
// PostgreSQL schema and one shared blob directory behind a round-robin
// balancer: URL is the balancer's, and the embedded Server — what tests
// that reach into the server's internals use — is node 0.
type testServer struct {
	*server.Server
	dir   string
	nodes []*server.Server // every node, nodes[0] == Server
	lb    net.Listener     // the balancer in front of nodes (cluster mode)
}

// clusterNodes is KURA_TEST_NODES: how many nodes startWith runs (1 when
// unset). More than one implies PostgreSQL metadata, one schema per data
// directory, and a shared blob directory beside it.
func clusterNodes(t testing.TB) int {
	v := os.Getenv("KURA_TEST_NODES")
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("KURA_TEST_NODES=%q: want a number of nodes", v)
	}
	return n
}

// clusterMode says whether startWith runs several nodes: tests whose
// subject is one process skip with this.
func clusterMode(t testing.TB) bool { return clusterNodes(t) > 1 }

// skipInCluster skips t in cluster mode, for why (a property of one
// process that a cluster of several does not have).
func skipInCluster(t testing.TB, why string) {
	t.Helper()
	if clusterMode(t) {
		t.Skip("KURA_TEST_NODES: " + why)
	}
}

// embeddedMeta says whether startWith keeps the metadata in the embedded
// store (meta.db in the data dir), not in PostgreSQL.
func embeddedMeta(t testing.TB) bool {
	return !clusterMode(t) && os.Getenv("KURA_TEST_META") != "postgres"
}

// skipUnlessEmbeddedMeta skips t when the metadata is not in meta.db, for
// a test whose subject is that file (why says what of it).
func skipUnlessEmbeddedMeta(t testing.TB, why string) {
	t.Helper()
	if !embeddedMeta(t) {
		t.Skip("metadata in PostgreSQL (KURA_TEST_META, KURA_TEST_NODES): " + why)
	}
}

// start runs a server on a fresh data dir (or dir, when given) and stops it
// when the test ends.
func start(t testing.TB, dir ...string) *testServer {
	t.Helper()
	d := t.TempDir()
	if len(dir) > 0 {
		d = dir[0]
	}
	return startWith(t, d, nil)
}

// startWith runs a server on dir with cfg adjusted by adjust: one node,
// or clusterNodes of them (node i > 0 on the data dir dir.node<i>, all on
// the blob dir dir.blobs unless adjust names other blobs).
func startWith(t testing.TB, d string, adjust func(*server.Config)) *testServer {
	t.Helper()
	return startNodes(t, d, clusterNodes(t), adjust)
}

// startNodes runs n nodes on d (see startWith).
func startNodes(t testing.TB, d string, n int, adjust func(*server.Config)) *testServer {
	t.Helper()
	var pgMeta backend.Meta
	if !embeddedMeta(t) {
		// Before the cleanup that stops the nodes: cleanups run last
		// first, and the schema must outlive the nodes.
		pgMeta = postgresMeta(t, d)
	}
	ts := &testServer{dir: d}
	t.Cleanup(func() { ts.stop(t) })
	for i := range n {
		dir := d
		if i > 0 {
			dir = fmt.Sprintf("%s.node%d", d, i)
			copyNodeSecrets(t, d, dir)
		}
		cfg := server.Config{
			DataDir: dir, Listen: "127.0.0.1:0", RootAccessKey: testAK, RootSecretKey: testSK,
			Logger: testLogger(),
		}
		if n > 1 {
			cfg.Blobs = backend.SharedFile(d + ".blobs")
		}
		if pgMeta != nil {
			// The whole server suite on PostgreSQL metadata: a schema per
			// data dir (node 0's in a cluster), so a restart on the same
			// dir finds its store.
			cfg.Meta = pgMeta
		}
		if adjust != nil {
			adjust(&cfg)
		}
		if i == 0 && n > 1 && cfg.Link.Listen != "" {
			t.Skip("KURA_TEST_NODES: a linked deployment keeps its link state (peer table, bucket registry, token) in its data directory; a link between deployments of several nodes is not built (docs/scale-out.md, \"Not built yet\")")
		}
		if i > 0 {
			// What adjust fixed for one process: the other nodes get
			// their own ports and ids.
			cfg.Listen = "127.0.0.1:0"
			for _, l := range []*string{&cfg.AdminListen, &cfg.MetricsListen} {
				if *l != "" && *l != "off" {
					*l = "127.0.0.1:0"
				}
			}
			if cfg.NodeID != "" {
				cfg.NodeID += fmt.Sprintf("-node%d", i)
			}
		}
		s, err := server.Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err != nil {
			s.Shutdown(context.Background())
			t.Fatal(err)
		}
		ts.nodes = append(ts.nodes, s)
	}
	ts.Server = ts.nodes[0]
	if n > 1 {
		var backends []string
		for _, s := range ts.nodes {
			backends = append(backends, hostPort(s.URL()))
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ts.lb = ln
		go tcplb.Serve(ln, backends)
	}
	return ts
}

// blobDir is the directory of the blobs of the server on data dir dir
// (started by startWith): dir/blobs, or in cluster mode the directory
// the nodes share.
func blobDir(t testing.TB, dir string) string {
	if clusterMode(t) {
		return dir + ".blobs"
	}
	return filepath.Join(dir, "blobs")
}

// storeFlags are the `kura server` flags that put the metadata and blobs
// of data dir dir where startWith puts them (none for the embedded
// stores), for a test that runs the kura binary on dir before or after
// startWith.
func storeFlags(t *testing.T, dir string) []string {
	var flags []string
	if !embeddedMeta(t) {
		flags = append(flags, "--meta", postgresURL(t, pgtest.Schema(t, dir)))
	}
	if clusterMode(t) {
		flags = append(flags, "--blobs", "file://"+blobDir(t, dir)+"?shared=1")
	}
	return flags
}

// copyNodeSecrets gives the data dir to what every node of a cluster
// needs from the first node's, from: its root key and root account, and
// its self-signed certificate when it has one. Files already in to are
// kept.
func copyNodeSecrets(t testing.TB, from, to string) {
	t.Helper()
	for _, f := range []string{filepath.Join("keys", "root.key"), "root-credentials.json",
		filepath.Join("tls", "cert.pem"), filepath.Join("tls", "key.pem")} {
		dst := filepath.Join(to, f)
		if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(from, f))
		if errors.Is(err, os.ErrNotExist) && filepath.Dir(f) == "tls" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// auditQuery runs audit.Query on the server's audit trail: in cluster
// mode on every node's trail file, the events merged by their time (a
// stable sort: one node's events keep their order).
func (ts *testServer) auditQuery(f audit.Filter, fn func(audit.Event) error) error {
	if len(ts.nodes) < 2 {
		return audit.Query(audit.DirIn(ts.dir), f, fn)
	}
	var evs []audit.Event
	for _, s := range ts.nodes {
		if err := audit.Query(audit.DirIn(s.DataDir()), f, func(ev audit.Event) error {
			evs = append(evs, ev)
			return nil
		}); err != nil {
			return err
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].EventTime.Before(evs[j].EventTime) })
	for _, ev := range evs {
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}

// kmsCalls is the number of KMS cryptographic calls the server made: in
// cluster mode, every node's.
func (ts *testServer) kmsCalls() int64 {
	var n int64
	for _, s := range ts.nodes {
		n += s.KMS.CallCount()
	}
	return n
}

// flushAccessLogs delivers the spooled server access logs of every node.
func (ts *testServer) flushAccessLogs(ctx context.Context) error {
	for _, s := range ts.nodes {
		if err := s.AccessLog.Flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

// URL is the endpoint clients use: the balancer's in cluster mode.
func (ts *testServer) URL() string {
	if ts.lb == nil {
		return ts.Server.URL()
	}
	u := ts.Server.URL()
	return strings.TrimSuffix(u, hostPort(u)) + ts.lb.Addr().String()
}

// hostPort is the host:port of an endpoint URL.
func hostPort(u string) string {
	_, hp, _ := strings.Cut(u, "://")
	return hp
}

// stop shuts every node down and closes the balancer.
func (ts *testServer) stop(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ts.lb != nil {
		ts.lb.Close()
	}
	for _, s := range ts.nodes {
		s.Shutdown(ctx)
	}
}

// client returns an SDK v2 client for the server; opts adjust it. In
// cluster mode it opens a connection per request, so that the balancer
// (round robin per connection) sends consecutive requests to different
// nodes instead of pinning the client to one.
func (ts *testServer) client(opts ...func(*s3.Options)) *s3.Client {
	hc := &http.Client{Timeout: 2 * time.Minute}
	if ts.lb != nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DisableKeepAlives = true
		hc.Transport = tr
	}
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(ts.URL()),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(testAK, testSK, ""),
		HTTPClient:   hc,
	}, opts...)
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func mustBucket(t testing.TB, c *s3.Client, name string) {
	t.Helper()
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// testLogger discards server logs unless KURA_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("KURA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
