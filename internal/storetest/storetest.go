// Package storetest gives a test the stores a data directory holds by
// default — the embedded bbolt metadata store and a blob directory —
// fresh in the test's temporary directory, for tests that run a service
// (object, lifecycle, inventory, replication) on real stores without a
// server. Only tests import it; it never touches a directory the test did
// not create.
package storetest

import (
	"path/filepath"
	"testing"

	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/sse"
)

// Local are the embedded stores of one test.
type Local struct {
	// Dir is the temporary directory holding both (meta.db, blobs/); a
	// test may keep more of its own there.
	Dir   string
	Meta  *bolt.Store
	Blobs *blobfs.Store
}

// OpenLocal opens an empty bbolt store at Dir/meta.db, closed when the
// test ends, and a blob directory at Dir/blobs, in a fresh t.TempDir().
func OpenLocal(t testing.TB) Local {
	t.Helper()
	dir := t.TempDir()
	ms, err := bolt.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	bs, err := blobfs.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return Local{Dir: dir, Meta: ms, Blobs: bs}
}

// ManagedKey is an SSE-S3 managed key for tests: id "test", all-zero key
// material (a test that needs a secret key makes its own).
func ManagedKey(t testing.TB) *sse.ManagedKey {
	t.Helper()
	k, err := sse.NewManagedKey("test", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
