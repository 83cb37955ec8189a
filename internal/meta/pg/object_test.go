package pg_test

import (
	"path/filepath"
	"testing"

	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/object/objecttest"
)

// TestObjectService runs the object behaviour suite (internal/object) on
// PostgreSQL metadata and file blobs.
func TestObjectService(t *testing.T) {
	pgtest.DSN(t)
	objecttest.Run(t, func(t *testing.T) objecttest.Stores {
		ms := pgtest.Open(t, t.Name())
		t.Cleanup(func() { ms.Close() })
		bs, err := blobfs.Open(filepath.Join(t.TempDir(), "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		return objecttest.Stores{Meta: ms, Blobs: bs}
	})
}
