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
type lazyTx struct {
	conn  *pgxpool.Conn
	begin string // the BEGIN statement, with its isolation level
	begun bool   // BEGIN was sent (perhaps without success)
}

// first sends BEGIN and sql in one batch and returns the batch with BEGIN's
// result read; the caller reads sql's result and closes the batch.
func (t *lazyTx) first(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	b.Queue(t.begin)
	b.Queue(sql, args...)
	t.begun = true
	br := t.conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, fmt.Errorf("begin: %w", err)
	}
	return br, nil
}

func (t *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.begun {
		return t.conn.Exec(ctx, sql, args...)
	}
	br, err := t.first(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	ct, err := br.Exec()
	return ct, errors.Join(err, closeIfOK(br, err))
}

func (t *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if t.begun {
		return t.conn.QueryRow(ctx, sql, args...)
	}
	br, err := t.first(ctx, sql, args)
	return batchRow{br: br, err: err}
}

func (t *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if t.begun {
		return t.conn.Query(ctx, sql, args...)
	}
	br, err := t.first(ctx, sql, args)
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

// commit ends the transaction. COMMIT of a transaction the server has
// already aborted answers ROLLBACK without an error: that is an error here.
func (t *lazyTx) commit(ctx context.Context) error {
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

// rollback ends a failed transaction. If it cannot, the connection is not
// idle and the pool closes it on Release, which ends the transaction on
// the server too.
func (t *lazyTx) rollback(ctx context.Context) {
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
