// Package lease lets background work that must run once per deployment —
// blob collection, the orphan sweep, lifecycle rules, KMS and IAM
// maintenance, later batch and replication workers — run on one node at a
// time, when several Kura nodes share one metadata store.
//
// A lease is a record in the metadata store (meta.TableLeases): its name,
// the node that holds it and until when. Nodes take, renew and give it
// back in metadata transactions, so the store's serializable isolation
// decides between two nodes asking at once. A Runner does its work only
// while it holds the lease, renews it as it goes, and stops the work
// before the lease can expire when it cannot renew; when its node dies,
// another node's Runner takes the lease once it has expired.
//
// A lease keeps two nodes from doing the same work at the same time in
// the normal course of things; it is not a lock that correctness may rest
// on. Expiry is judged by the nodes' clocks (kept within seconds of each
// other by NTP, far below the lease's TTL), and a node paused for longer
// than its lease may still be running when another starts. Everything done
// under a lease is therefore transactional and idempotent, as it must be
// anyway to survive a crash: a second runner at worst repeats work. The
// record's Term grows with every change of holder, and the work's metadata
// writes are fenced by it (fence.go): a paused holder that wakes up after
// a takeover cannot commit.
package lease

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kurastore/kura/internal/meta"
)

// ErrHeld is returned by Acquire when another holder holds the lease.
var ErrHeld = errors.New("lease is held by another node")

// Lease is the state of one lease as stored.
type Lease struct {
	Name string
	// Holder is the node id of the holder; empty when released.
	Holder string
	// Expires is when the lease lapses unless renewed, by the clock of
	// the node that took or renewed it.
	Expires time.Time
	// Term counts the changes of holder: it grows by one each time a node
	// takes the lease from another holder, or takes it after a release.
	Term uint64
}

// Held reports whether l is held by someone at now.
func (l Lease) Held(now time.Time) bool { return l.Holder != "" && now.Before(l.Expires) }

// record is a lease as stored (meta.Encode: a version byte, then JSON;
// docs/formats.md, "Leases").
type record struct {
	Holder  string    `json:"holder,omitempty"`
	Expires time.Time `json:"expires"`
	Term    uint64    `json:"term"`
}

// Acquire takes the lease name for holder until now+ttl, or renews it if
// holder holds it already. It fails with ErrHeld (and the lease as it is)
// while another holder's lease has not expired at now.
func Acquire(ctx context.Context, s meta.Store, name, holder string, now time.Time, ttl time.Duration) (Lease, error) {
	if holder == "" {
		return Lease{}, errors.New("lease: empty holder")
	}
	if ttl <= 0 {
		return Lease{}, fmt.Errorf("lease: ttl %v: want a positive duration", ttl)
	}
	var l Lease
	err := s.Update(ctx, func(tx meta.Tx) error {
		cur, err := get(tx, name)
		if err != nil {
			return err
		}
		l = cur
		if cur.Holder != holder && cur.Held(now) {
			return ErrHeld
		}
		if cur.Holder != holder {
			l.Term++
		}
		l.Holder, l.Expires = holder, now.Add(ttl).UTC()
		return put(tx, l)
	})
	return l, err
}

// Release gives the lease back if holder holds it, so another node can
// take it at once instead of waiting for it to expire. Releasing a lease
// held by another holder, or not held, changes nothing.
func Release(ctx context.Context, s meta.Store, name, holder string) error {
	return s.Update(ctx, func(tx meta.Tx) error {
		cur, err := get(tx, name)
		if err != nil || cur.Holder != holder {
			return err
		}
		cur.Holder, cur.Expires = "", time.Time{}
		return put(tx, cur)
	})
}

// ReleaseAll releases every lease, whoever holds it. Only call it when no
// other process can be using the store (the embedded store's file lock is
// held): then every holder recorded is a process that is gone, and
// waiting for its leases to expire would only delay the work.
func ReleaseAll(ctx context.Context, s meta.Store) (n int, err error) {
	return releaseWhere(ctx, s, func(Lease) bool { return true })
}

// Get returns the lease name as stored (zero Holder: never taken, or
// released).
func Get(ctx context.Context, s meta.Store, name string) (Lease, error) {
	var l Lease
	err := s.View(ctx, func(tx meta.Tx) (err error) {
		l, err = get(tx, name)
		return err
	})
	return l, err
}

func get(tx meta.Tx, name string) (Lease, error) {
	raw, err := tx.Get(meta.TableLeases, []byte(name))
	if errors.Is(err, meta.ErrNotFound) {
		return Lease{Name: name}, nil
	}
	if err != nil {
		return Lease{}, err
	}
	return decode(name, raw)
}

func decode(name string, raw []byte) (Lease, error) {
	var r record
	if err := meta.Decode(raw, &r); err != nil {
		return Lease{}, fmt.Errorf("lease %q: %w", name, err)
	}
	return Lease{Name: name, Holder: r.Holder, Expires: r.Expires, Term: r.Term}, nil
}

func put(tx meta.Tx, l Lease) error {
	raw, err := meta.Encode(record{Holder: l.Holder, Expires: l.Expires, Term: l.Term})
	if err != nil {
		return err
	}
	return tx.Put(meta.TableLeases, []byte(l.Name), raw)
}
