package pg

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lazyTx is a transaction on one pooled connection whose BEGIN is sent
// together with its first statement, in one pipelined batch: one round
// trip fewer per transaction than BEGIN on its own (a View of one Get is
// two round trips, not three). PostgreSQL keeps a transaction that a
// pipeline's BEGIN opened going after the pipeline's Sync. A transaction
// that sends no statement sends nothing at all, and has nothing to
// commit.
//
// Writes (Put, Delete) are not sent on their own either: they wait in
// pending and go in the same pipelined batch as the transaction's next
// statement that needs an answer (a read, nextval) or as its COMMIT, in
// the order they were made, so a read still sees every earlier write of
// its transaction. A group commit of 64 re-seals, each a read and two
// writes, is 64 round trips instead of 192 (docs/benchmarks.md, "Batch
// Operations on PostgreSQL"). A write that fails is reported by the
// statement it travelled with (and so by Update); nothing after it in the
// batch runs, and the transaction is rolled back.
type lazyTx struct {
	conn    *pgxpool.Conn
	begin   string // the BEGIN statement, with its isolation level
	begun   bool   // BEGIN was sent (perhaps without success)
	pending []queued
}

// queued is a write waiting for the next round trip.
type queued struct {
	sql  string
	args []any
}

// maxPending bounds the writes held back: past it they are sent on their
// own, one batch (a migration's batch of rows, a large DeleteObjects).
const maxPending = 1024

// write queues a write. The arguments must not change until the
// transaction ends (the tx copies the caller's buffers).
func (t *lazyTx) write(ctx context.Context, sql string, args ...any) error {
	t.pending = append(t.pending, queued{sql, args})
	if len(t.pending) < maxPending {
		return nil
	}
	br, err := t.send(ctx, "", nil)
	if err != nil {
		return err
	}
	return br.Close()
}

// send sends BEGIN if not sent yet, the pending writes and sql (unless
// empty) in one batch, and returns the batch with every result but sql's
// read; the caller reads sql's result and closes the batch.
func (t *lazyTx) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	if !t.begun {
		b.Queue(t.begin)
	}
	for _, q := range t.pending {
		b.Queue(q.sql, q.args...)
	}
	if sql != "" {
		b.Queue(sql, args...)
	}
	pending := len(t.pending)
	t.pending = t.pending[:0]
	br := t.conn.SendBatch(ctx, b)
	if !t.begun {
		t.begun = true
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, fmt.Errorf("begin: %w", err)
		}
	}
	for range pending {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, fmt.Errorf("write: %w", err)
		}
	}
	return br, nil
}

// direct reports whether the next statement can go on its own: BEGIN
// sent and no write waiting.
func (t *lazyTx) direct() bool { return t.begun && len(t.pending) == 0 }

func (t *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.direct() {
		return t.conn.Exec(ctx, sql, args...)
	}
	br, err := t.send(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	ct, err := br.Exec()
	return ct, errors.Join(err, closeIfOK(br, err))
}

func (t *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if t.direct() {
		return t.conn.QueryRow(ctx, sql, args...)
	}
	br, err := t.send(ctx, sql, args)
	return batchRow{br: br, err: err}
}

func (t *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if t.direct() {
		return t.conn.Query(ctx, sql, args...)
	}
	br, err := t.send(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// commit ends the transaction, sending the writes still pending with
// COMMIT in one batch. COMMIT of a transaction the server has already
// aborted answers ROLLBACK without an error: that is an error here. If a
// pending write fails, the server skips the COMMIT and the transaction
// stays open, aborted: it is rolled back.
func (t *lazyTx) commit(ctx context.Context) error {
	if len(t.pending) == 0 {
		if !t.begun {
			return nil
		}
		ct, err := t.conn.Exec(ctx, "commit")
		if err != nil {
			return err
		}
		if ct.String() == "ROLLBACK" {
			return pgx.ErrTxCommitRollback
		}
		return nil
	}
	br, err := t.send(ctx, "commit", nil)
	if err != nil {
		t.rollback(context.WithoutCancel(ctx))
		return err
	}
	ct, err := br.Exec()
	if cerr := closeIfOK(br, err); err == nil {
		err = cerr
	}
	if err != nil {
		t.rollback(context.WithoutCancel(ctx))
		return err
	}
	if ct.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// rollback ends a failed transaction. If it cannot, the connection is not
// idle and the pool closes it on Release, which ends the transaction on
// the server too.
func (t *lazyTx) rollback(ctx context.Context) {
	t.pending = nil
	if t.begun && !t.conn.Conn().IsClosed() {
		_, _ = t.conn.Exec(ctx, "rollback")
	}
}

// closeIfOK closes br and returns its error, unless err says the batch
// failed already (then Close only repeats it).
func closeIfOK(br pgx.BatchResults, err error) error {
	cerr := br.Close()
	if err != nil {
		return nil
	}
	return cerr
}

// batchRow is the row of the statement sent with BEGIN.
type batchRow struct {
	br  pgx.BatchResults
	err error
}

func (r batchRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	err := r.br.QueryRow().Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		if cerr := r.br.Close(); cerr != nil {
			return cerr
		}
		return err
	}
	return errors.Join(err, closeIfOK(r.br, err))
}

// batchRows are the rows of the statement sent with BEGIN; closing them
// closes the batch.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.err = closeIfOK(r.br, r.Rows.Err())
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}
