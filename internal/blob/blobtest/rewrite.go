package blobtest

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/kurastore/kura/internal/blob"
)

// Rewrite replaces blob id in s by what change makes of its bytes (change
// may alter them in place, or return a shorter or longer slice), through
// the store's interface only: a test's way to damage a stored blob on any
// backend. Blobs are immutable, so it deletes the blob and puts it again.
func Rewrite(t testing.TB, s blob.Store, id string, change func([]byte) []byte) {
	t.Helper()
	ctx := context.Background()
	r, err := s.Open(ctx, id)
	if err != nil {
		t.Fatalf("open blob %s: %v", id, err)
	}
	b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	r.Close()
	if err != nil {
		t.Fatalf("read blob %s: %v", id, err)
	}
	if err := s.Delete(ctx, id); err != nil {
		t.Fatalf("delete blob %s: %v", id, err)
	}
	if _, err := s.Put(ctx, id, bytes.NewReader(change(b))); err != nil {
		t.Fatalf("put blob %s: %v", id, err)
	}
}
