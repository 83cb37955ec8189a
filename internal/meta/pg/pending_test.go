package pg_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
)

// TestPendingWrites: Put and Delete wait for the transaction's next
// statement or its COMMIT (lazytx.go). A transaction of writes only is
// one round trip (BEGIN, the writes, COMMIT); a read sees the writes made
// before it, in order; the caller may reuse its buffers; a write lost
// with its connection before COMMIT fails the Update (503) and commits
// nothing.
func TestPendingWrites(t *testing.T) {
	s := pgtest.Open(t, t.Name())
	defer s.Close()
	ctx := context.Background()
	// The table exists after a first write: creating it is not counted.
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.Put(meta.TableSystem, []byte("k"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name       string
		fn         func(tx meta.Tx) error
		roundTrips uint64
	}{
		{"100 puts and a delete", func(tx meta.Tx) error {
			buf := make([]byte, 8)
			for i := range 100 {
				copy(buf, fmt.Sprintf("w%07d", i)) // reused: the write must have copied it
				if err := tx.Put(meta.TableSystem, buf, buf); err != nil {
					return err
				}
			}
			return tx.Delete(meta.TableSystem, []byte("w0000050"))
		}, 1},
		{"put, get, delete, cursor, put", func(tx meta.Tx) error {
			if err := tx.Put(meta.TableSystem, []byte("k"), []byte("2")); err != nil {
				return err
			}
			if v, err := tx.Get(meta.TableSystem, []byte("k")); err != nil || string(v) != "2" {
				return fmt.Errorf("get after put = %q, %v", v, err)
			}
			if err := tx.Delete(meta.TableSystem, []byte("w0000001")); err != nil {
				return err
			}
			if k, _ := tx.Cursor(meta.TableSystem).Seek([]byte("w0000001")); !bytes.Equal(k, []byte("w0000002")) {
				return fmt.Errorf("cursor after delete at %q, want w0000002", k)
			}
			if err := tx.Put(meta.TableSystem, []byte("k"), []byte("3")); err != nil {
				return err
			}
			return nil
		}, 3}, // get (with BEGIN and the put), cursor (with the delete), COMMIT (with the put)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Stats().RoundTrips
			if err := s.Update(ctx, tc.fn); err != nil {
				t.Fatal(err)
			}
			if got := s.Stats().RoundTrips - before; got != tc.roundTrips {
				t.Errorf("%d round trips, want %d", got, tc.roundTrips)
			}
		})
	}
	err := s.View(ctx, func(tx meta.Tx) error {
		n := 0
		c := tx.Cursor(meta.TableSystem)
		for k, v := c.Seek([]byte("w")); k != nil; k, v = c.Next() {
			if !bytes.Equal(k, v) {
				return fmt.Errorf("row %q holds %q", k, v)
			}
			n++
		}
		if n != 98 {
			return fmt.Errorf("%d rows, want 98", n)
		}
		if v, err := tx.Get(meta.TableSystem, []byte("k")); err != nil || string(v) != "3" {
			return fmt.Errorf("k = %q, %v; want 3", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The connection dies with a write waiting: the Update fails as an
	// outage and nothing of it is committed.
	admin, err := pgx.Connect(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	err = s.Update(ctx, func(tx meta.Tx) error {
		if _, err := tx.Get(meta.TableSystem, []byte("k")); err != nil {
			return err
		}
		if err := tx.Put(meta.TableSystem, []byte("k"), []byte("lost")); err != nil {
			return err
		}
		_, err := admin.Exec(ctx, killSQL, s.Schema())
		return err
	})
	wantUnavailable(t, "Update whose connection died with a write waiting", err)
	var v []byte
	for range 50 { // the pool makes new connections
		if err = s.View(ctx, func(tx meta.Tx) error { v, err = tx.Get(meta.TableSystem, []byte("k")); return err }); err == nil {
			break
		}
	}
	if err != nil || string(v) != "3" {
		t.Fatalf("k after the failed Update = %q, %v; want 3", v, err)
	}
}
