package object_test

import (
	"testing"

	"github.com/kurastore/kura/internal/object/objecttest"
	"github.com/kurastore/kura/internal/storetest"
)

// TestObjectService runs the object behaviour suite on the stores Kura has
// today: bbolt metadata and file blobs. Another backend runs the same
// suite from its own package with its own Opener.
func TestObjectService(t *testing.T) {
	objecttest.Run(t, func(t *testing.T) objecttest.Stores {
		st := storetest.OpenLocal(t)
		return objecttest.Stores{Meta: st.Meta, Blobs: st.Blobs}
	})
}
