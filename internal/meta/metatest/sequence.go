package metatest

import (
	"errors"
	"sync"
	"testing"

	"github.com/kurastore/kura/internal/meta"
)

// next allocates one number of counter name in its own Update.
func next(t *testing.T, s meta.Store, name string) uint64 {
	t.Helper()
	var n uint64
	if err := s.Update(bg, func(tx meta.Tx) (err error) {
		n, err = tx.Sequence(name)
		return err
	}); err != nil {
		t.Fatalf("Sequence(%q): %v", name, err)
	}
	return n
}

// testSequence: a counter starts at 1, grows from one committed
// transaction to the next, keeps counters apart, and continues above
// its last number after Close and reopen.
func testSequence(t *testing.T, h *harness) {
	dir := t.TempDir()
	s := h.openDir(t, dir)
	if n := next(t, s, "a"); n != 1 {
		t.Fatalf("first number of a fresh counter = %d, want 1", n)
	}
	last := uint64(1)
	for range 20 {
		n := next(t, s, "a")
		if n <= last {
			t.Fatalf("number %d after %d: not increasing", n, last)
		}
		last = n
	}
	if n := next(t, s, "b"); n != 1 {
		t.Errorf("first number of counter b = %d, want 1 (counters are separate)", n)
	}
	// Several numbers in one transaction are distinct and increasing.
	var in []uint64
	if err := s.Update(bg, func(tx meta.Tx) error {
		in = in[:0]
		for range 3 {
			n, err := tx.Sequence("a")
			if err != nil {
				return err
			}
			in = append(in, n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, n := range in {
		if n <= last {
			t.Fatalf("numbers of one transaction %v: not above %d and increasing", in, last)
		}
		last = n
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = h.openDir(t, dir)
	if n := next(t, s, "a"); n <= last {
		t.Errorf("after reopen: %d, want above %d", n, last)
	}
}

// testSequenceRollback: a transaction that does not commit may leave a
// gap, but never lets a later transaction get a number at or below one
// already committed.
func testSequenceRollback(t *testing.T, h *harness) {
	s := h.store(t)
	first := next(t, s, "c")
	if err := s.Update(bg, func(tx meta.Tx) error {
		if _, err := tx.Sequence("c"); err != nil {
			return err
		}
		return errAbort
	}); !errors.Is(err, errAbort) {
		t.Fatalf("Update = %v, want errAbort", err)
	}
	if n := next(t, s, "c"); n <= first {
		t.Errorf("after a rolled-back allocation: %d, want above %d", n, first)
	}
	if err := s.View(bg, func(tx meta.Tx) error {
		_, err := tx.Sequence("c")
		return err
	}); err == nil {
		t.Error("Sequence in a read-only transaction succeeded")
	}
}

// testSequenceRaise: RaiseSequence lifts a counter above existing
// numbers and never lowers it.
func testSequenceRaise(t *testing.T, h *harness) {
	s := h.store(t)
	raise := func(floor uint64) {
		t.Helper()
		if err := s.Update(bg, func(tx meta.Tx) error { return tx.RaiseSequence("r", floor) }); err != nil {
			t.Fatalf("RaiseSequence(%d): %v", floor, err)
		}
	}
	const floor = 1_700_000_000_000_000_000 // a clock-based number of older data
	raise(floor)
	n := next(t, s, "r")
	if n <= floor {
		t.Fatalf("after RaiseSequence(%d): %d", uint64(floor), n)
	}
	raise(5)
	if m := next(t, s, "r"); m <= n {
		t.Errorf("RaiseSequence(5) lowered the counter: %d after %d", m, n)
	}
	if err := s.View(bg, func(tx meta.Tx) error { return tx.RaiseSequence("r", 1) }); err == nil {
		t.Error("RaiseSequence in a read-only transaction succeeded")
	}
}

// testSequenceConcurrent: concurrent Updates (which a backend may
// commit as a group, running fn again) get distinct numbers, and every
// number a writer gets after its previous Update returned is above that
// one.
func testSequenceConcurrent(t *testing.T, h *harness) {
	s := h.store(t)
	workers, perWorker := 32, 40
	if testing.Short() {
		workers, perWorker = 8, 20
	}
	var mu sync.Mutex
	seen := map[uint64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			var prev uint64
			for range perWorker {
				var n uint64
				err := s.Update(bg, func(tx meta.Tx) (err error) {
					n, err = tx.Sequence("concurrent")
					return err
				})
				if err != nil {
					errs <- err
					return
				}
				if n <= prev {
					errs <- errors.New("a writer's numbers went backwards")
					return
				}
				prev = n
				mu.Lock()
				seen[n] = w
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != workers*perWorker {
		t.Fatalf("%d distinct numbers for %d committed allocations: some were handed out twice", len(seen), workers*perWorker)
	}
}
