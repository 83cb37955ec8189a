package bolt

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kurastore/kura/internal/meta"
)

func TestEmpty(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := func(want bool) {
		t.Helper()
		if got, err := s.Empty(); err != nil || got != want {
			t.Fatalf("Empty() = %v, %v; want %v", got, err, want)
		}
	}
	want(true)
	ctx := context.Background()
	put := func(tx meta.Tx) error { return tx.Put("some_future_table", []byte("k"), []byte("v")) }
	if err := s.Update(ctx, put); err != nil {
		t.Fatal(err)
	}
	want(false) // any table counts, also one Kura does not name
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.Delete("some_future_table", []byte("k")) }); err != nil {
		t.Fatal(err)
	}
	want(true) // an emptied table holds nothing
}
