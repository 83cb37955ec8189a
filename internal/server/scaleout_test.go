package server_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/lease"
	"github.com/kurastore/kura/internal/meta/pg"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/server"
)

// cluster is several Kura nodes on one PostgreSQL schema and one shared
// blob store, each with a data directory of its own holding a copy of the
// first node's root key.
type cluster struct {
	schema, blobs string
	keyFile       string // the first node's root key
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
	if c.keyFile != "" {
		dst := filepath.Join(dir, "keys", "root.key")
		if _, err := os.Stat(dst); errors.Is(err, os.ErrNotExist) {
			raw, err := os.ReadFile(c.keyFile)
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
	if c.keyFile == "" {
		c.keyFile = filepath.Join(dir, "keys", "root.key")
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
