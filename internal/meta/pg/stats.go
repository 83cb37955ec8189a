package pg

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// Stats counts what a Store has asked of the database since Open.
type Stats struct {
	// Statements sent, each one round trip: BEGIN and COMMIT/ROLLBACK
	// included, statement preparation (once per statement and
	// connection) not.
	Statements uint64
	// Transactions begun (View and Update attempts).
	Transactions uint64
}

// Stats returns the store's counters (docs/benchmarks.md counts the
// round trips of S3 operations with them).
func (s *Store) Stats() Stats {
	return Stats{Statements: s.counter.statements.Load(), Transactions: s.counter.begins.Load()}
}

// counter is a pgx.QueryTracer that counts statements.
type counter struct {
	statements, begins atomic.Uint64
}

func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.statements.Add(1)
	if len(d.SQL) >= 5 && strings.EqualFold(d.SQL[:5], "begin") {
		c.begins.Add(1)
	}
	return ctx
}

func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
