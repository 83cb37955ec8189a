package pg

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kurastore/kura/internal/s3err"
)

// ErrUnavailable is wrapped by the errors of a database that cannot be
// reached or refuses work for now: connection failures, a server shutting
// down or starting, too many connections, a read-only standby, conflicts
// that still fail after every retry. The request may succeed later.
//
// Such errors also wrap s3err.ServiceUnavailable, so an S3 request that
// meets one answers 503 ServiceUnavailable (which SDKs retry with backoff)
// rather than 500 InternalError.
var ErrUnavailable = errors.New("the metadata database is unavailable")

// unavailableError is an outage: errors.Is finds ErrUnavailable, errors.As
// finds the *s3err.Error, and the cause is kept for logs.
type unavailableError struct{ cause error }

func (e *unavailableError) Error() string {
	return fmt.Sprintf("meta/pg: %v: %v; retry later", ErrUnavailable, e.cause)
}

func (e *unavailableError) Unwrap() []error {
	return []error{ErrUnavailable, s3err.ServiceUnavailable.Wrap(e.cause), e.cause}
}

func unavailable(err error) error { return &unavailableError{cause: err} }

// classify turns a driver error into what callers see: ctx's error if ctx
// ended (the caller gave up, the database did not fail), an outage
// wrapping ErrUnavailable, or the error itself (a fault: a bug or a
// damaged schema, answered 500).
func classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)) {
		return fmt.Errorf("meta/pg: %w (%v)", ctx.Err(), err)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		// Not an answer from the server: the connection failed or
		// could not be made.
		return unavailable(err)
	}
	switch {
	case strings.HasPrefix(pe.Code, "08"), // connection exception
		strings.HasPrefix(pe.Code, "53"), // insufficient resources: too many connections, disk full, out of memory
		pe.Code == "57P01",               // admin_shutdown
		pe.Code == "57P02",               // crash_shutdown
		pe.Code == "57P03",               // cannot_connect_now (starting up, recovery)
		pe.Code == "25006",               // read_only_sql_transaction: connected to a standby (failover under way)
		pe.Code == "40001",               // serialization_failure (only reaches here after the retries)
		pe.Code == "40P01":               // deadlock_detected (likewise)
		return unavailable(err)
	}
	return fmt.Errorf("meta/pg: %w", err)
}

// retryable reports a serialization failure or deadlock: the transaction
// may succeed if run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}
