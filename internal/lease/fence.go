package lease

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kurastore/kura/internal/meta"
)

// Fencing. A lease keeps two nodes from doing the same work at once in the
// normal course of things, but a node paused for longer than its lease
// (a stopped VM, a long GC pause, a frozen container) can wake up still
// running work that another node has taken over. Its metadata writes are
// fenced: the Runner puts the lease it holds — name, holder and term —
// into the context it gives the work, and a store wrapped by Fenced checks
// inside every read-write transaction with such a context that the lease
// is still held by that holder with that term. The check reads the lease
// row in the same transaction, so under serializable isolation a takeover
// (which writes the row) and a stale holder's write cannot both commit:
// either the write commits first and the takeover comes after it, or the
// write's check sees the new holder or term and fails with ErrFenced,
// and nothing of it is committed. A renewal by the rightful holder
// changes neither holder nor term, so it never fences its own work.
//
// What the check does not cover is what is not in a metadata transaction:
// deleting blobs and sending to a remote. docs/scale-out.md ("Leases")
// says, job by job, why those stay safe when a stale holder repeats them.

// ErrFenced is returned by a fenced store's Update when the lease the work
// runs under has been taken over (or released): the work must stop.
var ErrFenced = errors.New("lease lost: another node has taken over this work")

type ctxKey struct{}

// held is the lease a piece of work runs under.
type held struct {
	name, holder string
	term         uint64
}

// WithLease returns ctx carrying the lease l: read-write transactions of a
// Fenced store under it commit only while l.Holder still holds l.Name with
// l.Term.
func WithLease(ctx context.Context, l Lease) context.Context {
	return context.WithValue(ctx, ctxKey{}, held{name: l.Name, holder: l.Holder, term: l.Term})
}

// FromContext returns the lease ctx's work runs under, if any.
func FromContext(ctx context.Context) (Lease, bool) {
	h, ok := ctx.Value(ctxKey{}).(held)
	if !ok {
		return Lease{}, false
	}
	return Lease{Name: h.name, Holder: h.holder, Term: h.term}, true
}

// Check fails with ErrFenced unless, in tx, holder holds the lease name
// with term term. Expiry is not judged here: an expired lease not yet taken
// by anyone harms no one, and clocks differ between nodes; a takeover
// always changes the holder or the term.
func Check(tx meta.Tx, name, holder string, term uint64) error {
	cur, err := get(tx, name)
	if err != nil {
		return err
	}
	if cur.Holder != holder || cur.Term != term {
		return fmt.Errorf("%w (lease %q: held by %q at term %d; this work ran as %q at term %d)",
			ErrFenced, name, cur.Holder, cur.Term, holder, term)
	}
	return nil
}

// Fenced wraps s so that every Update whose context carries a lease
// (WithLease) first checks, in its transaction, that the lease is still
// held (Check). Updates without one are passed through unchanged.
func Fenced(s meta.Store) meta.Store { return fenced{s} }

type fenced struct{ meta.Store }

func (f fenced) Update(ctx context.Context, fn func(meta.Tx) error) error {
	h, ok := ctx.Value(ctxKey{}).(held)
	if !ok {
		return f.Store.Update(ctx, fn)
	}
	return f.Store.Update(ctx, func(tx meta.Tx) error {
		if err := Check(tx, h.name, h.holder, h.term); err != nil {
			return err
		}
		return fn(tx)
	})
}

// ReleaseHeldBy releases every lease holder holds. Call it at start with
// this node's own id when no other live process can have that id (the
// server holds a lock on its data directory, where the id is kept): the
// leases are those of this node's previous process, which is gone, and
// waiting for them to expire would only delay the work.
func ReleaseHeldBy(ctx context.Context, s meta.Store, holder string) (n int, err error) {
	if holder == "" {
		return 0, errors.New("lease: empty holder")
	}
	return releaseWhere(ctx, s, func(l Lease) bool { return l.Holder == holder })
}

func releaseWhere(ctx context.Context, s meta.Store, match func(Lease) bool) (n int, err error) {
	err = s.Update(ctx, func(tx meta.Tx) error {
		n = 0
		var held []Lease
		c := tx.Cursor(meta.TableLeases)
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			l, err := decode(string(k), v)
			if err != nil {
				return err
			}
			if l.Holder != "" && match(l) {
				held = append(held, l)
			}
		}
		for _, l := range held {
			l.Holder, l.Expires = "", time.Time{}
			if err := put(tx, l); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
