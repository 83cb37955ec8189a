package object_test

import (
	"path/filepath"
	"testing"

	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/object/objecttest"
)

// TestObjectService runs the object behaviour suite on the stores Kura has
// today: bbolt metadata and file blobs. Another backend runs the same
// suite from its own package with its own Opener.
func TestObjectService(t *testing.T) {
	objecttest.Run(t, func(t *testing.T) objecttest.Stores {
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
		return objecttest.Stores{Meta: ms, Blobs: bs}
	})
}
