package metatest

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/meta"
)

// writerWait bounds how long SnapshotIsolation waits for a concurrent Update
// to commit while a View is open. Backends whose writers never wait for
// readers finish at once; a backend whose writer waits for the View (allowed
// by meta.Store) just costs the suite this long.
const writerWait = 5 * time.Second

func testSnapshotIsolation(t *testing.T, h *harness) {
	s := h.store(t)
	put(t, s, tabA, "gone", "x", "k", "old")

	start := make(chan struct{})
	var startOnce sync.Once
	release := func() { startOnce.Do(func() { close(start) }) }
	defer release()
	committed := make(chan struct{})
	var uerr error
	go func() {
		defer close(committed)
		<-start
		uerr = s.Update(bg, func(tx meta.Tx) error {
			return errors.Join(
				tx.Put(tabA, []byte("k"), []byte("new")),
				tx.Delete(tabA, []byte("gone")),
				tx.Put(tabA, []byte("added"), []byte("y")),
				tx.Put(tabB, []byte("t"), []byte("z")),
			)
		})
	}()

	writerWaited := false
	err := s.View(bg, func(tx meta.Tx) error {
		check := func(when string) error {
			want := map[string]string{"gone": "x", "k": "old", "added": ""}
			for k, w := range want {
				v, err := tx.Get(tabA, []byte(k))
				switch {
				case w == "" && !errors.Is(err, meta.ErrNotFound):
					return fmt.Errorf("%s: Get(%q) = %q, %v; want ErrNotFound", when, k, v, err)
				case w != "" && (err != nil || string(v) != w):
					return fmt.Errorf("%s: Get(%q) = %q, %v; want %q", when, k, v, err, w)
				}
			}
			if k, _ := tx.Cursor(tabB).Seek(nil); k != nil {
				return fmt.Errorf("%s: table created by the concurrent Update is visible", when)
			}
			return nil
		}
		if err := check("before the concurrent Update"); err != nil {
			return err
		}
		// A cursor positioned before the Update keeps walking the snapshot.
		c := tx.Cursor(tabA)
		if k, _ := c.Seek(nil); string(k) != "gone" {
			return fmt.Errorf("Seek(nil) = %q, want gone", k)
		}
		release()
		select {
		case <-committed:
			if uerr != nil {
				return fmt.Errorf("concurrent Update: %w", uerr)
			}
		case <-time.After(writerWait):
			writerWaited = true
		}
		if k, v := c.Next(); string(k) != "k" || string(v) != "old" {
			return fmt.Errorf("Next after the concurrent Update = %q=%q, want k=old", k, v)
		}
		if k, _ := c.Next(); k != nil {
			return fmt.Errorf("Next = %q, want the end of the snapshot", k)
		}
		return check("after the concurrent Update")
	})
	if err != nil {
		t.Fatal(err)
	}
	<-committed
	if uerr != nil {
		t.Fatalf("concurrent Update: %v", uerr)
	}
	if writerWaited {
		t.Logf("the Update did not commit within %v while a View was open (writers wait for readers)", writerWait)
	}
	wantValue(t, s, tabA, "k", "new")
	wantValue(t, s, tabA, "added", "y")
	wantMissing(t, s, tabA, "gone")
	wantValue(t, s, tabB, "t", "z")
}

// readInt reads a decimal counter; a missing key reads as 0.
func readInt(tx meta.Tx, tab meta.Table, key string) (int, error) {
	v, err := tx.Get(tab, []byte(key))
	if errors.Is(err, meta.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(v))
}

func writeInt(tx meta.Tx, tab meta.Table, key string, n int) error {
	return tx.Put(tab, []byte(key), strconv.AppendInt(nil, int64(n), 10))
}

func testNoTornReads(t *testing.T, h *harness) {
	s := h.store(t)
	const total = 1000
	put(t, s, tabA, "a", strconv.Itoa(total), "b", "0")
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Go(func() {
			lastGen := -1
			for {
				select {
				case <-done:
					return
				default:
				}
				err := s.View(bg, func(tx meta.Tx) error {
					a, err1 := readInt(tx, tabA, "a")
					b, err2 := readInt(tx, tabA, "b")
					gen, err3 := readInt(tx, tabA, "gen")
					if err := errors.Join(err1, err2, err3); err != nil {
						return err
					}
					if a+b != total {
						return fmt.Errorf("torn read: a=%d b=%d (gen %d)", a, b, gen)
					}
					if gen < lastGen {
						return fmt.Errorf("gen went back from %d to %d", lastGen, gen)
					}
					lastGen = gen
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for gen := 1; gen <= 100; gen++ {
		err := s.Update(bg, func(tx meta.Tx) error {
			a, err1 := readInt(tx, tabA, "a")
			b, err2 := readInt(tx, tabA, "b")
			if err := errors.Join(err1, err2); err != nil {
				return err
			}
			d := gen % 7
			return errors.Join(writeInt(tx, tabA, "a", a-d), writeInt(tx, tabA, "b", b+d),
				writeInt(tx, tabA, "gen", gen))
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testConcurrentIncrements(t *testing.T, h *harness) {
	s := h.store(t)
	workers, perWorker := 64, 50
	if testing.Short() {
		workers, perWorker = 16, 20
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			<-start
			own := fmt.Sprintf("worker-%03d", w)
			for range perWorker {
				err := s.Update(bg, func(tx meta.Tx) error {
					n, err := readInt(tx, meta.TableSystem, "counter")
					if err != nil {
						return err
					}
					m, err := readInt(tx, meta.TableSystem, own)
					if err != nil {
						return err
					}
					return errors.Join(writeInt(tx, meta.TableSystem, "counter", n+1),
						writeInt(tx, meta.TableSystem, own, m+1))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Update: %v", err)
	}
	wantValue(t, s, meta.TableSystem, "counter", strconv.Itoa(workers*perWorker))
	for w := range workers {
		wantValue(t, s, meta.TableSystem, fmt.Sprintf("worker-%03d", w), strconv.Itoa(perWorker))
	}
}

// testWriteSkew runs pairs of Updates that each read two keys and write one
// of them only if both are absent. Snapshot isolation lets both write;
// serializable transactions let exactly one.
func testWriteSkew(t *testing.T, h *harness) {
	s := h.store(t)
	const rounds = 50
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)
	for r := range rounds {
		x, y := fmt.Sprintf("x%02d", r), fmt.Sprintf("y%02d", r)
		for _, own := range []string{x, y} {
			wg.Go(func() {
				<-start
				err := s.Update(bg, func(tx meta.Tx) error {
					for _, k := range []string{x, y} {
						_, err := tx.Get(tabA, []byte(k))
						if err == nil {
							return nil // someone already claimed the round
						}
						if !errors.Is(err, meta.ErrNotFound) {
							return err
						}
					}
					return tx.Put(tabA, []byte(own), []byte("claimed"))
				})
				if err != nil {
					errs <- err
				}
			})
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Update: %v", err)
	}
	for r := range rounds {
		_, errX := get(t, s, tabA, fmt.Sprintf("x%02d", r))
		_, errY := get(t, s, tabA, fmt.Sprintf("y%02d", r))
		if (errX == nil) == (errY == nil) {
			t.Errorf("round %d: x claimed=%v, y claimed=%v; want exactly one", r, errX == nil, errY == nil)
		}
	}
}

// testConcurrentFailures mixes succeeding and failing Updates so that a
// group-committing backend batches them together: the failures must not
// leak writes and must not take the successes down with them.
func testConcurrentFailures(t *testing.T, h *harness) {
	s := h.store(t)
	const workers = 48
	start := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			<-start
			results[w] = s.Update(bg, func(tx meta.Tx) error {
				n, err := readInt(tx, meta.TableSystem, "counter")
				if err != nil {
					return err
				}
				if err := writeInt(tx, meta.TableSystem, "counter", n+1); err != nil {
					return err
				}
				if w%2 == 1 {
					if err := tx.Put(tabA, fmt.Appendf(nil, "fail-%02d", w), []byte("x")); err != nil {
						return err
					}
					return errAbort
				}
				return tx.Put(tabA, fmt.Appendf(nil, "ok-%02d", w), []byte("x"))
			})
		})
	}
	close(start)
	wg.Wait()
	for w, err := range results {
		if w%2 == 0 && err != nil {
			t.Errorf("worker %d: Update = %v, want nil", w, err)
		}
		if w%2 == 1 && !errors.Is(err, errAbort) {
			t.Errorf("worker %d: Update = %v, want errAbort", w, err)
		}
	}
	wantValue(t, s, meta.TableSystem, "counter", strconv.Itoa(workers/2))
	for w := range workers {
		if w%2 == 0 {
			wantValue(t, s, tabA, fmt.Sprintf("ok-%02d", w), "x")
		} else {
			wantMissing(t, s, tabA, fmt.Sprintf("fail-%02d", w))
		}
	}
}
