package pg

import (
	"fmt"
	"math"
)

// Sequence is nextval() of the SEQUENCE seq_<name> (CACHE 1), created the
// first time the counter is used. nextval is not rolled back and takes no
// lock held to commit: numbers are unique and grow from one committed
// transaction to the next, and a transaction that fails leaves a gap, as
// meta.Tx allows.
func (x *tx) Sequence(name string) (uint64, error) {
	if !x.writable {
		return 0, ErrReadOnly
	}
	if x.err != nil {
		return 0, x.err
	}
	seq := sequenceName(name)
	if err := x.s.ensureSequence(x.ctx, seq); err != nil {
		return 0, x.fail("create sequence for counter "+name, err)
	}
	var n int64
	if err := x.ptx.QueryRow(x.ctx, "SELECT nextval('"+seq+"')").Scan(&n); err != nil {
		return 0, x.fail("counter "+name, err)
	}
	if n <= 0 {
		return 0, fmt.Errorf("meta/pg: counter %s returned %d", name, n)
	}
	return uint64(n), nil
}

// RaiseSequence sets the SEQUENCE to floor (setval) when its last number is
// below it. The read and the setval are two statements: a number allocated
// by another node between them could be handed out again, so this is for
// start-up, before the store is serving (meta.InitVersionSeq), as meta.Tx
// documents.
func (x *tx) RaiseSequence(name string, floor uint64) error {
	if !x.writable {
		return ErrReadOnly
	}
	if x.err != nil {
		return x.err
	}
	if floor > math.MaxInt64 {
		return fmt.Errorf("meta/pg: counter %s: floor %d is above a SEQUENCE's maximum (2^63-1)", name, floor)
	}
	seq := sequenceName(name)
	if err := x.s.ensureSequence(x.ctx, seq); err != nil {
		return x.fail("create sequence for counter "+name, err)
	}
	var last int64
	var called bool
	if err := x.ptx.QueryRow(x.ctx, "SELECT last_value, is_called FROM "+seq).Scan(&last, &called); err != nil {
		return x.fail("read counter "+name, err)
	}
	if !called {
		last-- // a fresh SEQUENCE: last_value is the first number it will give
	}
	if last >= int64(floor) || floor == 0 {
		return nil
	}
	if _, err := x.ptx.Exec(x.ctx, "SELECT setval('"+seq+"', $1)", int64(floor)); err != nil {
		return x.fail("raise counter "+name, err)
	}
	return nil
}
