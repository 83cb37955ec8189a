package pg_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/pg"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/s3err"
)

// killSQL terminates the connections of the store whose schema is $1
// (pgtest names them after it).
const killSQL = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1"

// wantUnavailable checks that err is an outage an S3 request answers 503.
func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, pg.ErrUnavailable) {
		t.Fatalf("%s = %v, want an error wrapping pg.ErrUnavailable", what, err)
	}
	if e := s3err.As(err); e.Status != http.StatusServiceUnavailable || e.Code != "ServiceUnavailable" {
		t.Fatalf("%s maps to %s %d, want ServiceUnavailable 503", what, e.Code, e.Status)
	}
}

// TestOpenUnreachable: a database that does not answer is an outage, not
// a fault.
func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := pg.Open(ctx, "postgres://postgres@127.0.0.1:1/test?connect_timeout=2", pg.Options{})
	wantUnavailable(t, "Open on a closed port", err)
}

// TestConnectionsKilled: when the server drops the store's connections
// (a restart, a failover, an administrator), the transactions that were
// using them fail as an outage and the store recovers by itself.
func TestConnectionsKilled(t *testing.T) {
	dsn := pgtest.DSN(t)
	s := pgtest.Open(t, t.Name())
	defer s.Close()
	ctx := context.Background()
	put := func(v string) error {
		return s.Update(ctx, func(tx meta.Tx) error { return tx.Put(meta.TableSystem, []byte("k"), []byte(v)) })
	}
	if err := put("1"); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)

	// Kill the connection under a transaction that is running.
	err = s.Update(ctx, func(tx meta.Tx) error {
		if _, err := tx.Get(meta.TableSystem, []byte("k")); err != nil {
			return err
		}
		if _, err := admin.Exec(ctx, killSQL, s.Schema()); err != nil {
			return err
		}
		_, err := tx.Get(meta.TableSystem, []byte("k"))
		return err
	})
	wantUnavailable(t, "Update whose connection was killed", err)

	// Later transactions get working connections again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := put("2")
		if err == nil {
			break
		}
		if !errors.Is(err, pg.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("Update after the kill = %v, want success (or a passing outage)", err)
		}
	}
	err = s.View(ctx, func(tx meta.Tx) error {
		v, err := tx.Get(meta.TableSystem, []byte("k"))
		if err == nil && string(v) != "2" {
			err = errors.New("read " + string(v) + ", want 2")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCursorErrorSurfaces: a cursor cannot return an error; a failed page
// read makes the View fail even when fn saw only "the end" and returned
// nil, so a listing never comes back silently short.
func TestCursorErrorSurfaces(t *testing.T) {
	dsn := pgtest.DSN(t)
	s := pgtest.Open(t, t.Name())
	defer s.Close()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.Put(meta.TableBuckets, []byte("b"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var seen []byte
	err = s.View(ctx, func(tx meta.Tx) error {
		if _, err := tx.Get(meta.TableBuckets, []byte("b")); err != nil {
			return err
		}
		if _, err := admin.Exec(ctx, killSQL, s.Schema()); err != nil {
			return err
		}
		seen, _ = tx.Cursor(meta.TableBuckets).Seek(nil)
		return nil
	})
	if seen != nil {
		t.Fatalf("cursor on a killed connection returned %q", seen)
	}
	wantUnavailable(t, "View whose cursor failed", err)
}
