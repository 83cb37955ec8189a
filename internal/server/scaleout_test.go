package server_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/kurastore/kura/internal/backend"
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
	schema, blobs string
	first         string // the first node's data directory
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	return &cluster{schema: pgtest.Schema(t, t.Name()), blobs: t.TempDir()}
}

// node starts a node on dir (a new one when ""), with adjust applied.
func (c *cluster) node(t *testing.T, dir string, adjust ...func(*server.Config)) *testServer {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	if c.first != "" {
		// Every node needs the first node's root key and root account.
		for _, f := range []string{filepath.Join("keys", "root.key"), "root-credentials.json"} {
			dst := filepath.Join(dir, f)
			if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
				continue
			}
			raw, err := os.ReadFile(filepath.Join(c.first, f))
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
	ts := startOnPostgres(t, dir, c.schema, "", func(cfg *server.Config) {
		cfg.Blobs = backend.File(c.blobs)
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
		Logger: testLogger(), Meta: m, Blobs: backend.File(c.blobs)})
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
