package backend

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"testing"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/pg"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
)

// TestPostgresStore: a postgres:// store says whether it holds data
// without creating anything, opens read-only without creating, and opens
// for writing as a store other nodes may share.
func TestPostgresStore(t *testing.T) {
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, t.Name())
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", schema)
	q.Set("pool_max_conns", "3") // pgxpool's, never sent to the server
	u.RawQuery = q.Encode()
	m, err := ParseMeta(u.String())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	has := func(want bool) {
		t.Helper()
		if got, err := m.HasData(ctx); err != nil || got != want {
			t.Fatalf("HasData = %v, %v; want %v", got, err, want)
		}
	}
	has(false) // the schema does not exist yet

	ms, err := m.Open(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	if ms.Exclusive() {
		t.Error("Exclusive() = true for a shared database")
	}
	if e, err := ms.Empty(ctx); err != nil || !e {
		t.Fatalf("Empty on a new store = %v, %v", e, err)
	}
	has(false) // migrated, but no record
	if err := ms.Update(ctx, func(tx meta.Tx) error { return tx.Put(meta.TableSystem, []byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if e, err := ms.Empty(ctx); err != nil || e {
		t.Fatalf("Empty after a Put = %v, %v", e, err)
	}
	has(true)

	ro, err := m.OpenReadOnly(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	err = ro.View(ctx, func(tx meta.Tx) error {
		v, err := tx.Get(meta.TableSystem, []byte("k"))
		if err == nil && string(v) != "v" {
			err = errors.New("read " + string(v))
		}
		return err
	})
	if err != nil {
		t.Fatalf("View on the read-only store: %v", err)
	}
	if err := ro.Update(ctx, func(meta.Tx) error { return nil }); !errors.Is(err, pg.ErrReadOnly) {
		t.Fatalf("Update on the read-only store = %v, want pg.ErrReadOnly", err)
	}
	// A second node opens the same store while the first has it open.
	ms2, err := m.Open(ctx, log)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	ms2.Close()
	ms.Close()
}
