// Package pg is Kura's metadata store on PostgreSQL: meta.Store on a pool
// of pgx connections, for several Kura nodes sharing one database
// (issue 17, docs/scale-out.md).
//
// Layout. Each meta.Table is a table kv_<name> (key bytea PRIMARY KEY,
// value bytea NOT NULL) in the store's schema: the key layout and record
// encoding are exactly those of the embedded store (internal/meta/keys.go,
// docs/formats.md), so the byte order of bytea keys is the cursor order.
// The tables Kura knows are created by the schema migrations (schema.go,
// migrations/*.sql), applied at Open and recorded in kura_schema_migrations;
// a table first written later is created then, outside the writing
// transaction (an empty table reads like a missing one, so a create whose
// transaction fails leaves nothing visible). Each Tx.Sequence counter is a
// SEQUENCE seq_<name> (CACHE 1), created on first use.
//
// Transactions. Update runs fn in a SERIALIZABLE transaction and commits;
// on a serialization failure (SQLSTATE 40001) or a deadlock (40P01) it
// rolls back and runs fn again after a short randomised backoff, as
// meta.Store allows, up to maxAttempts times. View runs fn in a REPEATABLE
// READ READ ONLY transaction: one snapshot for the whole of fn. A
// transaction's BEGIN is sent with its first statement, in one pipelined
// round trip (lazytx.go), and COMMIT is one more. Every Get, Put and
// Delete is one statement; a Put or Delete is not sent on its own but
// with the transaction's next statement that needs an answer, or with
// its COMMIT (lazytx.go). A Cursor reads a page of rows in key order
// with one indexed range query
// (WHERE key >= $1 ORDER BY key LIMIT n), its pages growing from 16 to 1024
// rows as it is walked, so a point lookup reads little and a listing few
// pages. PostgreSQL shows a transaction its own writes, so a cursor
// re-sought after a Put or Delete sees them.
//
// Errors. A statement that fails aborts the transaction; the first failure
// is kept, later calls return it without a round trip, and Update and View
// return it even if fn ignored it (Cursor methods cannot return errors:
// they report the end, and the failure comes out of Update or View). When
// the database cannot be reached or refuses work (connection failures,
// shutdown, too many connections, a standby that cannot write, conflicts
// still failing after every retry), the error wraps ErrUnavailable and
// s3err.ServiceUnavailable, so an S3 request answers 503 and clients retry;
// nothing panics.
//
// Portability. The SQL is kept to what CockroachDB and YugabyteDB accept
// too: CREATE TABLE/SEQUENCE IF NOT EXISTS, INSERT … ON CONFLICT DO UPDATE,
// nextval/setval, information_schema. The one PostgreSQL-specific piece is
// RaiseSequence reading the SEQUENCE's last_value and is_called columns
// (CockroachDB has both; YugabyteDB is PostgreSQL's executor).
package pg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kurastore/kura/internal/meta"
)

// ErrReadOnly is returned by Put, Delete, Sequence and RaiseSequence in a
// View transaction.
var ErrReadOnly = errors.New("meta/pg: write in a read-only transaction")

const (
	// maxAttempts bounds how often Update runs fn when the database
	// reports serialization failures or deadlocks. Under heavy contention
	// on one row the later attempts wait 25-75 ms each (a few seconds in
	// all); a conflict still failing after that is reported as
	// unavailable (503: retry later).
	maxAttempts = 100
	// defaultMaxConns caps a node's connection pool unless the DSN sets
	// pool_max_conns. pgxpool's own default (the larger of 4 and the
	// number of CPUs) left 8 concurrent clients waiting for connections
	// on a 2-core machine: 16 took 4 KiB PUTs at 8 clients from ~430 to
	// ~670/s (docs/benchmarks.md). Mind PostgreSQL's max_connections
	// (default 100) when running several nodes.
	defaultMaxConns = 16
	// firstPage and maxPage bound the rows a cursor reads in one query.
	firstPage = 16
	maxPage   = 1024
)

// Options configure Open.
type Options struct {
	// Schema, if set, is the schema Kura keeps its tables in; it is
	// created if missing and put first on every connection's search_path.
	// Empty: the connection's search_path as the DSN sets it (by default
	// "public").
	Schema string
	// MaxConns caps the connection pool (0: the DSN's pool_max_conns, or
	// defaultMaxConns).
	MaxConns int32
	// ApplicationName names the connections in pg_stat_activity (e.g.
	// "kura"), unless the DSN sets application_name.
	ApplicationName string
	// ReadOnly opens the store without creating or migrating anything:
	// Update fails with ErrReadOnly. The schema must be at a version this
	// Kura knows (an older one reads as it is: migrations only add).
	ReadOnly bool
	Logger   *slog.Logger
}

// Store is a meta.Store on a PostgreSQL database. It is safe for
// concurrent use.
type Store struct {
	pool     *pgxpool.Pool
	ddl      *pgxpool.Pool // one connection for CREATE TABLE/SEQUENCE outside transactions
	ddlMu    sync.Mutex
	log      *slog.Logger
	schema   string // as created; "" when the DSN's search_path decides
	readOnly bool

	// tables and seqs hold the SQL names of the tables and sequences
	// known to exist (they are never dropped while Kura runs).
	tables sync.Map
	seqs   sync.Map

	counter *counter // Stats
}

var _ meta.Store = (*Store)(nil)

// Open connects to the database dsn names (a postgres:// URL or a
// key=value connection string, as libpq takes), applies the schema
// migrations this Kura knows and returns the store. It fails if the
// database cannot be reached, or was migrated by a newer Kura.
func Open(ctx context.Context, dsn string, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("meta/pg: %w", err) // pgx redacts the password
	}
	if o.Schema != "" {
		if !validIdent(o.Schema) {
			return nil, fmt.Errorf("meta/pg: schema name %q: want lower-case letters, digits and _ (at most 63)", o.Schema)
		}
		sp := o.Schema
		if cur := cfg.ConnConfig.RuntimeParams["search_path"]; cur != "" {
			sp += ", " + cur
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = sp
	}
	if o.ApplicationName != "" && cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = o.ApplicationName
	}
	switch {
	case o.MaxConns > 0:
		cfg.MaxConns = o.MaxConns
	case !strings.Contains(dsn, "pool_max_conns"):
		cfg.MaxConns = defaultMaxConns
	}
	cnt := &counter{}
	cfg.ConnConfig.Tracer = cnt
	ddlCfg := cfg.Copy()
	ddlCfg.MaxConns, ddlCfg.MinConns = 1, 0
	ddlCfg.MaxConnIdleTime = time.Minute

	s := &Store{log: o.Logger, schema: o.Schema, readOnly: o.ReadOnly, counter: cnt}
	if o.Schema != "" && !o.ReadOnly {
		// The schema must exist before a connection can use it: create
		// it on a connection without it on the search_path.
		c, err := pgx.ConnectConfig(ctx, cfg.ConnConfig.Copy())
		if err != nil {
			return nil, classify(ctx, fmt.Errorf("connect: %w", err))
		}
		_, err = c.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+o.Schema)
		c.Close(context.WithoutCancel(ctx))
		if err != nil && !isDuplicate(err) {
			return nil, classify(ctx, fmt.Errorf("create schema %s: %w", o.Schema, err))
		}
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, classify(ctx, fmt.Errorf("connect: %w", err))
	}
	if s.ddl, err = pgxpool.NewWithConfig(ctx, ddlCfg); err != nil {
		s.pool.Close()
		return nil, classify(ctx, fmt.Errorf("connect: %w", err))
	}
	if o.ReadOnly {
		err = s.checkVersion(ctx)
	} else {
		err = s.migrate(ctx)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := s.loadNames(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connection pools. Transactions must have ended.
func (s *Store) Close() error {
	s.pool.Close()
	s.ddl.Close()
	return nil
}

// Ping checks that the database answers, on a pooled connection (a View
// that reads nothing sends nothing: readiness probes use this).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return classify(ctx, fmt.Errorf("ping: %w", err))
	}
	return nil
}

// Schema returns the schema the store was opened on ("" when the DSN's
// search_path decides).
func (s *Store) Schema() string { return s.schema }

// View runs fn in a REPEATABLE READ READ ONLY transaction: one snapshot.
func (s *Store) View(ctx context.Context, fn func(meta.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err, _ := s.run(ctx, fn, false)
	return err
}

// Update runs fn in a SERIALIZABLE transaction and commits it, running fn
// again when the database reports a serialization failure or deadlock.
// If ctx is done before an attempt starts, Update returns ctx.Err().
func (s *Store) Update(ctx context.Context, fn func(meta.Tx) error) error {
	if s.readOnly {
		return ErrReadOnly
	}
	var last error
	for attempt := range maxAttempts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if attempt > 0 {
			// 1, 2, 4 … ms, capped at 50 ms, randomised so the
			// conflicting writers do not meet again in step.
			d := min(time.Duration(1<<min(attempt-1, 6))*time.Millisecond, 50*time.Millisecond)
			d = d/2 + rand.N(d)
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		err, retry := s.run(ctx, fn, true)
		if !retry {
			return err
		}
		last = err
	}
	return unavailable(fmt.Errorf("transaction still conflicting after %d attempts: %w", maxAttempts, last))
}

// run runs fn once in a transaction. retry reports a serialization
// failure or deadlock: the caller may run fn again.
func (s *Store) run(ctx context.Context, fn func(meta.Tx) error, writable bool) (err error, retry bool) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return classify(ctx, fmt.Errorf("connect: %w", err)), false
	}
	defer conn.Release()
	begin := "begin isolation level repeatable read read only"
	if writable {
		begin = "begin isolation level serializable read write"
	}
	ptx := &lazyTx{conn: conn, begin: begin}
	x := &tx{s: s, ctx: ctx, ptx: ptx, writable: writable}
	done := false
	defer func() {
		if !done { // fn panicked: roll back, let the panic go on
			s.rollback(ctx, ptx)
		}
	}()
	ferr := fn(x)
	done = true
	if x.err != nil || ferr != nil {
		s.rollback(ctx, ptx)
		if x.err != nil {
			// The database failed a statement: that is the cause,
			// whatever fn made of it.
			if retryable(x.err) {
				return x.err, true
			}
			return classify(ctx, x.err), false
		}
		return ferr, retryable(ferr)
	}
	// COMMIT ends a read-only transaction as ROLLBACK would.
	if err := ptx.commit(ctx); err != nil {
		if writable && retryable(err) {
			return err, true
		}
		return classify(ctx, fmt.Errorf("commit: %w", err)), false
	}
	return nil, false
}

// rollback ends a failed transaction. It runs even when ctx is done.
func (s *Store) rollback(ctx context.Context, ptx *lazyTx) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	ptx.rollback(rctx)
}

// tx is a meta.Tx on one PostgreSQL transaction.
type tx struct {
	s        *Store
	ctx      context.Context
	ptx      *lazyTx
	writable bool
	err      error // the first statement that failed: the transaction is aborted
}

// fail records the first database error of the transaction and returns
// it wrapped.
func (x *tx) fail(what string, err error) error {
	if x.err == nil {
		x.err = fmt.Errorf("meta/pg: %s: %w", what, err)
	}
	return x.err
}

func (x *tx) Get(t meta.Table, key []byte) ([]byte, error) {
	if x.err != nil {
		return nil, x.err
	}
	name := tableName(t)
	ok, err := x.tableExists(name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, meta.ErrNotFound
	}
	var v []byte
	err = x.ptx.QueryRow(x.ctx, "SELECT value FROM "+name+" WHERE key = $1", nonNil(key)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, meta.ErrNotFound
	}
	if err != nil {
		return nil, x.fail("get from "+string(t), err)
	}
	return nonNil(v), nil
}

func (x *tx) Put(t meta.Table, key, value []byte) error {
	if !x.writable {
		return ErrReadOnly
	}
	if x.err != nil {
		return x.err
	}
	name := tableName(t)
	if err := x.s.ensureTable(x.ctx, name); err != nil {
		return x.fail("create table for "+string(t), err)
	}
	// Sent with the transaction's next statement (lazyTx.write): copied,
	// so the caller may reuse its buffers.
	err := x.ptx.write(x.ctx, "INSERT INTO "+name+" (key, value) VALUES ($1, $2) "+
		"ON CONFLICT (key) DO UPDATE SET value = excluded.value", clone(key), clone(value))
	if err != nil {
		return x.fail("put into "+string(t), err)
	}
	return nil
}

func (x *tx) Delete(t meta.Table, key []byte) error {
	if !x.writable {
		return ErrReadOnly
	}
	if x.err != nil {
		return x.err
	}
	name := tableName(t)
	ok, err := x.tableExists(name)
	if err != nil || !ok {
		return err // deleting from a table never written is a no-op
	}
	if err := x.ptx.write(x.ctx, "DELETE FROM "+name+" WHERE key = $1", clone(key)); err != nil {
		return x.fail("delete from "+string(t), err)
	}
	return nil
}

// tableExists reports whether the SQL table name exists. Tables are never
// dropped, so one known to exist needs no round trip. Kura's own tables
// are all created by the migrations; another (a test's, or one a newer
// Kura added) is created the first time a transaction touches it, outside
// the transaction like a Put's, even by a read: an empty table reads like
// a missing one, and
//
//   - a serializable transaction must read the table itself, not the
//     catalog, for PostgreSQL to see its conflicts with writers of the
//     table: two Updates that each find a key of a missing table absent
//     and then write it would otherwise both commit (write skew);
//   - a View would otherwise look the table up on every read.
//
// Only a ReadOnly store, which creates nothing, looks tables up in the
// transaction's snapshot.
func (x *tx) tableExists(name string) (bool, error) {
	if _, ok := x.s.tables.Load(name); ok {
		return true, nil
	}
	if !x.s.readOnly {
		if err := x.s.ensureTable(x.ctx, name); err != nil {
			return false, x.fail("create table "+name, err)
		}
		return true, nil
	}
	var n int
	err := x.ptx.QueryRow(x.ctx, "SELECT count(*) FROM information_schema.tables "+
		"WHERE table_schema = current_schema() AND table_name = $1", name).Scan(&n)
	if err != nil {
		return false, x.fail("look up table "+name, err)
	}
	if n > 0 {
		x.s.tables.Store(name, struct{}{})
	}
	return n > 0, nil
}

func (x *tx) Cursor(t meta.Table) meta.Cursor {
	return &cursor{x: x, table: t, name: tableName(t)}
}

// cursor reads a table in pages. rows holds the current page; i is the
// position in it; more reports that the table may hold keys after the
// page.
type cursor struct {
	x     *tx
	table meta.Table
	name  string
	rows  []row
	i     int
	more  bool
	page  int // rows to ask for next
}

type row struct{ k, v []byte }

func (c *cursor) Seek(key []byte) ([]byte, []byte) {
	c.page = firstPage
	return c.fetch(">=", nonNil(key))
}

func (c *cursor) Next() ([]byte, []byte) {
	if c.i >= len(c.rows) {
		return nil, nil
	}
	c.i++
	if c.i < len(c.rows) {
		return c.rows[c.i].k, c.rows[c.i].v
	}
	if !c.more {
		return nil, nil
	}
	return c.fetch(">", c.rows[len(c.rows)-1].k)
}

// fetch reads the next page: the keys op from (">=" or ">") in order.
func (c *cursor) fetch(op string, from []byte) ([]byte, []byte) {
	c.rows, c.i, c.more = c.rows[:0:0], 0, false
	if c.x.err != nil {
		return nil, nil
	}
	ok, err := c.x.tableExists(c.name)
	if err != nil || !ok {
		return nil, nil
	}
	n := c.page
	c.page = min(c.page*4, maxPage)
	rows, err := c.x.ptx.Query(c.x.ctx, "SELECT key, value FROM "+c.name+" WHERE key "+op+" $1 ORDER BY key LIMIT $2", from, n)
	if err != nil {
		c.x.fail("read "+string(c.table), err)
		return nil, nil
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.k, &r.v); err != nil {
			rows.Close()
			c.x.fail("read "+string(c.table), err)
			c.rows = nil
			return nil, nil
		}
		r.k, r.v = nonNil(r.k), nonNil(r.v)
		c.rows = append(c.rows, r)
	}
	if err := rows.Err(); err != nil {
		c.x.fail("read "+string(c.table), err)
		c.rows = nil
		return nil, nil
	}
	c.more = len(c.rows) == n
	if len(c.rows) == 0 {
		return nil, nil
	}
	return c.rows[0].k, c.rows[0].v
}

// nonNil turns nil into an empty slice: pgx sends a nil []byte as NULL,
// and a present-but-empty value must not read as absent.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// clone copies b for a write sent later; never nil (see nonNil).
func clone(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }

// isDuplicate reports the errors a CREATE … IF NOT EXISTS racing another
// one can fail with: the object exists now, which is what was wanted.
func isDuplicate(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P07" || pe.Code == "42710")
}
