package server_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/lease"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/server"
)

// allLeases are the leases a server's background work runs under.
var allLeases = []string{server.LeaseBlobGC, server.LeaseOrphanSweep, server.LeaseLifecycle,
	server.LeaseKMSMaintenance, server.LeaseIAMMaintenance, server.LeaseInventory, server.LeaseBatchJobs, server.LeaseReplication}

// mnWait polls cond until it holds, or fails the test after a deadline.
func mnWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReleasedBlobsCollectedAfterGrace: the blob of an overwritten object
// is deleted by the background collector, under its lease, once the blob
// grace period has passed; the new object reads back.
func TestReleasedBlobsCollectedAfterGrace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startWith(t, dir, func(c *server.Config) { c.BlobGrace, c.InlineMax = 2*time.Second, -1 }) // every object a blob
	c := ts.client()
	mustBucket(t, c, "grace")
	put(t, c, "grace", "k", []byte("old"))
	bs := blobStore(t, dir)
	old := blobIDs(t, bs)
	if len(old) != 1 {
		t.Fatalf("%d blobs after one PUT", len(old))
	}
	put(t, c, "grace", "k", []byte("new"))
	for id := range old {
		p, err := bs.Path(id)
		if err != nil {
			t.Fatal(err)
		}
		mnWait(t, "the overwritten blob to be collected", func() bool { return !exists(t, p) })
	}
	if got := string(get(t, c, "grace", "k")); got != "new" {
		t.Fatalf("GET after the collection: %q", got)
	}
	if ids := blobIDs(t, bs); len(ids) != 1 {
		t.Fatalf("%d blobs left, want the new object's one", len(ids))
	}
	if n := ts.Objects.IntegrityErrors(); n.Missing != 0 {
		t.Fatalf("integrity errors: %+v", n)
	}
}

// readLeases reads the leases of a stopped server's data dir, from the
// metadata store startWith gave it.
func readLeases(t *testing.T, dir string) map[string]lease.Lease {
	t.Helper()
	var ms meta.Store
	if embeddedMeta(t) {
		b, err := bolt.Open(filepath.Join(dir, "meta.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		ms = b
	} else {
		ms = pgStore(t, pgtest.Schema(t, dir))
	}
	out := map[string]lease.Lease{}
	for _, name := range allLeases {
		l, err := lease.Get(context.Background(), ms, name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = l
	}
	return out
}

// TestBackgroundLeases: a server runs each background job under its
// lease (in cluster mode, each lease held by one of the nodes); a clean
// stop releases them all. With the embedded store, a lease a dead process
// left (here with an hour to run) does not hold the work back, since
// that store has one user.
func TestBackgroundLeases(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startWith(t, dir, func(c *server.Config) { c.NodeID = "first" })
	holders := map[string]bool{}
	for _, n := range ts.nodes {
		holders[n.NodeID] = true
	}
	for _, name := range allLeases {
		mnWait(t, "lease "+name+" taken", func() bool {
			l, err := ts.Lease(context.Background(), name)
			return err == nil && holders[l.Holder] && l.Expires.After(time.Now())
		})
	}
	ts.stop(t)
	for name, l := range readLeases(t, dir) {
		if l.Holder != "" || l.Term == 0 {
			t.Errorf("lease %s after a clean stop: %+v, want taken once and released", name, l)
		}
	}
	// The rest is the embedded store's. On a shared store a lease of
	// another node holds until its term ends (TestNodeRestartReleasesItsLeases
	// covers a node's restart there).
	skipUnlessEmbeddedMeta(t, "a lease another process left is void only on the embedded store, which has one user")

	// A process that died holding the lifecycle lease.
	ms, err := bolt.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lease.Acquire(context.Background(), ms, server.LeaseLifecycle, "dead-node", time.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	ms.Close()

	ts = startWith(t, dir, func(c *server.Config) { c.NodeID = "second" })
	mnWait(t, "a lifecycle run", func() bool { return !ts.Lifecycle.Completed().IsZero() })
	if l, err := ts.Lease(context.Background(), server.LeaseLifecycle); err != nil || l.Holder != "second" || l.Term != 3 {
		t.Errorf("lifecycle lease: %+v, %v; want the second node's, taken from the dead one", l, err)
	}
	if ts.NodeID != "second" {
		t.Errorf("NodeID %q, want the configured one", ts.NodeID)
	}
	ts.stop(t)
	for name, l := range readLeases(t, dir) {
		if l.Holder != "" {
			t.Errorf("lease %s after the second stop: %+v", name, l)
		}
	}

	// Without a configured id every start is a new node.
	a := startWith(t, t.TempDir(), nil)
	b := startWith(t, t.TempDir(), nil)
	if a.NodeID == "" || a.NodeID == b.NodeID {
		t.Errorf("generated node ids %q and %q", a.NodeID, b.NodeID)
	}
}

// TestStoresOutsideTheDataDir: `kura server --meta bolt://… --blobs
// file://…` keeps metadata and blobs where the URLs say, and nothing of
// them in the data directory; a restart after a crash (SIGKILL) finds the
// data there, with its background work (the lifecycle lease of the dead
// process) running again. A bad URL stops the server before it starts,
// and the root key guard applies to stores wherever they are.
func TestStoresOutsideTheDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: builds and runs the kura binary")
	}
	t.Parallel()
	bin := buildKura(t)
	base := t.TempDir()
	dir, metaPath, blobDir := filepath.Join(base, "data"), filepath.Join(base, "m", "kura.db"), filepath.Join(base, "b")
	// --inline-max 0: every object a blob, which the test looks for.
	flags := []string{"--meta", "bolt://" + metaPath, "--blobs", "file://" + blobDir, "--node-id", "node-1", "--inline-max", "0"}
	p := startKura(t, bin, dir, 0, flags...)
	c := p.s3Client()
	mustBucket(t, c, "where")
	put(t, c, "where", "k", []byte("data outside the data dir"))
	p.kill()

	for _, gone := range []string{filepath.Join(dir, "meta.db"), filepath.Join(dir, "blobs")} {
		if _, err := os.Stat(gone); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists: the stores were to be elsewhere (%v)", gone, err)
		}
	}
	if _, err := os.Stat(metaPath); err != nil {
		t.Errorf("metadata file: %v", err)
	}
	if n := countFiles(t, blobDir); n == 0 {
		t.Error("no blob in the blob directory")
	}

	p = startKura(t, bin, dir, 1, flags...)
	c = p.s3Client()
	if got := string(get(t, c, "where", "k")); got != "data outside the data dir" {
		t.Fatalf("after a crash and restart: %q", got)
	}
	put(t, c, "where", "k2", []byte("more"))
	p.kill()

	// The metadata store is gone but its blobs are not: refused, nothing
	// created.
	if err := os.Rename(metaPath, metaPath+".bak"); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, append([]string{"server", "--data", dir, "--listen", "127.0.0.1:0"}, flags...)...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "holds blobs but its metadata store "+metaPath+" is missing") {
		t.Fatalf("start without the metadata store: %v\n%s", err, out)
	}
	if _, err := os.Stat(metaPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused start created %s", metaPath)
	}

	for _, bad := range []struct{ flag, url, want string }{
		{"--meta", "mysql://db/kura", `--meta: metadata store "mysql://db/kura": unknown scheme "mysql"`},
		{"--meta", "postgres:///kura", "a postgres URL names a server"},
		{"--blobs", "file://host/dir", "has no host"},
	} {
		out, err := exec.Command(bin, "server", "--data", dir, "--listen", "127.0.0.1:0", bad.flag, bad.url).CombinedOutput()
		if err == nil || !strings.Contains(string(out), bad.want) {
			t.Errorf("%s %s: %v\n%s", bad.flag, bad.url, err, out)
		}
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOpenWithConfiguredStores: server.Open takes the stores it is given.
func TestOpenWithConfiguredStores(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	m, err := backend.ParseMeta("bolt://" + filepath.Join(base, "elsewhere", "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := backend.ParseBlobs("file://" + filepath.Join(base, "blobs-elsewhere"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "data")
	// One node (in cluster mode too): the stores are an embedded file;
	// every object a blob.
	ts := startNodes(t, dir, 1, func(c *server.Config) { c.Meta, c.Blobs, c.InlineMax = m, b, -1 })
	c := ts.client()
	mustBucket(t, c, "cfg")
	put(t, c, "cfg", "k", []byte("v"))
	ts.stop(t)
	ms, err := bolt.Open(filepath.Join(base, "elsewhere", "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	if err := ms.View(context.Background(), func(tx meta.Tx) error {
		_, err := meta.GetBucket(tx, "cfg")
		return err
	}); err != nil {
		t.Fatalf("the bucket is not in the configured metadata store: %v", err)
	}
	if countFiles(t, filepath.Join(base, "blobs-elsewhere")) == 0 {
		t.Fatal("no blob in the configured blob store")
	}
}
