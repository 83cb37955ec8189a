package pg

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// Stats counts what a Store has asked of the database since Open.
type Stats struct {
	// RoundTrips: statements sent on their own, and pipelined batches
	// (a transaction's BEGIN goes with its first statement). Preparing a
	// statement, once per statement and connection, is not counted.
	RoundTrips uint64
	// Statements sent, BEGIN and COMMIT/ROLLBACK included.
	Statements uint64
	// Transactions begun (View and Update attempts that sent a statement).
	Transactions uint64
}

// Stats returns the store's counters (docs/benchmarks.md counts the
// round trips of S3 operations with them).
func (s *Store) Stats() Stats {
	c := s.counter
	return Stats{RoundTrips: c.roundTrips.Load(), Statements: c.statements.Load(), Transactions: c.begins.Load()}
}

// counter is a pgx.QueryTracer and pgx.BatchTracer that counts.
type counter struct {
	roundTrips, statements, begins atomic.Uint64
}

func (c *counter) statement(sql string) {
	c.statements.Add(1)
	if len(sql) >= 5 && strings.EqualFold(sql[:5], "begin") {
		c.begins.Add(1)
	}
}

func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.roundTrips.Add(1)
	c.statement(d.SQL)
	return ctx
}

func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *counter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	c.roundTrips.Add(1)
	for _, q := range d.Batch.QueuedQueries {
		c.statement(q.SQL)
	}
	return ctx
}

func (c *counter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *counter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}
