// Package pgtest gives tests a PostgreSQL metadata store of their own.
//
// The database is the one KURA_TEST_POSTGRES names (a postgres:// URL),
// by default postgres://postgres@127.0.0.1:5432/test (trust auth, as
// scripts/ensure-postgres.sh sets up). Every store lives in a schema of
// its own, named after the test run and the directory it stands for, and
// dropped when the test ends, so parallel runs and parallel tests do not
// meet. When the database cannot be reached the test is skipped, unless
// KURA_REQUIRE_POSTGRES is set (CI sets it): then it fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kurastore/kura/internal/meta/pg"
)

// DefaultDSN is the database tests use when KURA_TEST_POSTGRES is unset.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	runOnce sync.Once
	runID   string // distinguishes this test process's schemas

	reachOnce sync.Once
	reachErr  error
)

// DSN returns the test database's URL, or skips t (fails it if
// KURA_REQUIRE_POSTGRES is set) when the database does not answer.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("KURA_TEST_POSTGRES")
	if dsn == "" {
		dsn = DefaultDSN
	}
	reachOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err == nil {
			err = c.Ping(ctx)
			c.Close(ctx)
		}
		reachErr = err
	})
	if reachErr != nil {
		if os.Getenv("KURA_REQUIRE_POSTGRES") != "" {
			t.Fatalf("PostgreSQL at %s is required (KURA_REQUIRE_POSTGRES is set) but does not answer: %v; run scripts/ensure-postgres.sh", redact(dsn), reachErr)
		}
		t.Skipf("PostgreSQL at %s does not answer (%v): set KURA_TEST_POSTGRES, or run scripts/ensure-postgres.sh; KURA_REQUIRE_POSTGRES=1 makes this a failure", redact(dsn), reachErr)
	}
	return dsn
}

// Schema returns the name of the schema that stands for key (a test
// directory) in this test process: the same key gives the same schema.
// The schema is dropped when t ends.
func Schema(t testing.TB, key string) string {
	t.Helper()
	runOnce.Do(func() {
		var b [4]byte
		rand.Read(b[:])
		runID = hex.EncodeToString(b[:])
	})
	sum := sha256.Sum256([]byte(key))
	name := "kuratest_" + runID + "_" + hex.EncodeToString(sum[:8])
	dsn := DSN(t)
	dropOnce(t, name, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

var (
	dropMu  sync.Mutex
	dropped = map[string]bool{}
)

// dropOnce registers drop as a cleanup of t the first time name is seen.
// Cleanups run last-registered first, so a store opened after this
// registration is closed before its schema is dropped.
func dropOnce(t testing.TB, name string, drop func()) {
	dropMu.Lock()
	defer dropMu.Unlock()
	if dropped[name] {
		return
	}
	dropped[name] = true
	t.Cleanup(func() {
		drop()
		dropMu.Lock()
		delete(dropped, name)
		dropMu.Unlock()
	})
}

// Open opens a store in the schema that stands for key; the same key
// opens the same store again until t ends. The store is not closed for
// the caller. Its connections' application_name is its schema's name.
func Open(t testing.TB, key string) *pg.Store {
	t.Helper()
	dsn := DSN(t)
	schema := Schema(t, key)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// 4 connections a store: the object suite runs ~40 stores at once, and
	// the packages of go test ./... run side by side on one database whose
	// max_connections is 100 by default.
	s, err := pg.Open(ctx, dsn, pg.Options{Schema: schema, ApplicationName: schema, MaxConns: 4, Logger: quiet})
	if err != nil {
		t.Fatalf("pg.Open: %v", err)
	}
	return s
}

// redact hides a password in a URL.
func redact(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil || cfg.Password == "" {
		return dsn
	}
	return "postgres://" + cfg.User + ":xxx@" + cfg.Host
}

// quiet drops the store's log lines (a migration applied per schema).
var quiet = slog.New(slog.DiscardHandler)
