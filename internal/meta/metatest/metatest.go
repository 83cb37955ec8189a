// Package metatest is the behaviour suite every meta.Store implementation
// must pass. A backend's tests call Run with a function that opens its store:
//
//	func TestSuite(t *testing.T) {
//		metatest.Run(t, func(t *testing.T, dir string) meta.Store {
//			s, err := bolt.Open(filepath.Join(dir, "meta.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite covers the meta.Store contract (reads, writes, rollback,
// read-only transactions, cursor order and Seek, snapshot isolation,
// serializability under concurrency, context handling, durability across
// Close and reopen, sequence counters) and runs Kura's real key helpers (meta.VersionKey and
// friends) through the store's cursors.
package metatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/kurastore/kura/internal/meta"
)

// Opener opens a store whose contents are determined by dir: opening the same
// dir again after Close must see everything committed before, and a dir the
// suite has not used before must give an empty store. File-based backends
// keep their files in dir; a server-based backend can derive a database or
// schema name from it. The suite closes every store it opens.
type Opener func(t *testing.T, dir string) meta.Store

// Run runs the suite as subtests of t.
func Run(t *testing.T, open Opener) {
	h := &harness{open: open}
	tests := []struct {
		name string
		fn   func(*testing.T, *harness)
	}{
		{"GetPutDelete", testGetPutDelete},
		{"MissingTable", testMissingTable},
		{"TablesAreSeparate", testTablesAreSeparate},
		{"EmptyAndLargeValues", testEmptyAndLargeValues},
		{"ReadOnlyRejectsWrites", testReadOnlyRejectsWrites},
		{"ReadYourWrites", testReadYourWrites},
		{"UpdateErrorRollsBack", testUpdateErrorRollsBack},
		{"UpdatePanicRollsBack", testUpdatePanicRollsBack},
		{"ValueOwnership", testValueOwnership},
		{"ContextDone", testContextDone},
		{"Reopen", testReopen},
		{"CursorOrder", testCursorOrder},
		{"CursorSeek", testCursorSeek},
		{"CursorMissingTable", testCursorMissingTable},
		{"CursorAfterWrite", testCursorAfterWrite},
		{"CursorManyKeys", testCursorManyKeys},
		{"SnapshotIsolation", testSnapshotIsolation},
		{"NoTornReads", testNoTornReads},
		{"ConcurrentIncrements", testConcurrentIncrements},
		{"WriteSkew", testWriteSkew},
		{"ConcurrentFailures", testConcurrentFailures},
		{"VersionKeyOrder", testVersionKeyOrder},
		{"AfterKeyListing", testAfterKeyListing},
		{"SplitVersionKey", testSplitVersionKey},
		{"UploadAndPartKeys", testUploadAndPartKeys},
		{"Sequence", testSequence},
		{"SequenceRollback", testSequenceRollback},
		{"SequenceRaise", testSequenceRaise},
		{"SequenceConcurrent", testSequenceConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

// harness opens stores and closes them when the test ends.
type harness struct {
	open Opener
}

// store opens a fresh, empty store.
func (h *harness) store(t *testing.T) meta.Store {
	t.Helper()
	return h.openDir(t, t.TempDir())
}

// openDir opens the store of dir; it is closed at the end of the test unless
// the test closes it first through closeStore.
func (h *harness) openDir(t *testing.T, dir string) meta.Store {
	t.Helper()
	s := h.open(t, dir)
	if s == nil {
		t.Fatal("open returned a nil store")
	}
	c := &closer{Store: s}
	t.Cleanup(func() {
		if err := c.close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// closer makes Close idempotent for the suite's bookkeeping; the suite never
// relies on a backend's Close being idempotent.
type closer struct {
	meta.Store
	once sync.Once
	err  error
}

func (c *closer) close() error {
	c.once.Do(func() { c.err = c.Store.Close() })
	return c.err
}

func (c *closer) Close() error { return c.close() }

var (
	bg       = context.Background()
	errAbort = errors.New("metatest: abort")
)

const (
	tabA = meta.Table("metatest_a")
	tabB = meta.Table("metatest_b")
	tabC = meta.Table("metatest_never_written")
)

func put(t *testing.T, s meta.Store, tab meta.Table, kvs ...string) {
	t.Helper()
	if len(kvs)%2 != 0 {
		t.Fatal("put: odd number of arguments")
	}
	err := s.Update(bg, func(tx meta.Tx) error {
		for i := 0; i < len(kvs); i += 2 {
			if err := tx.Put(tab, []byte(kvs[i]), []byte(kvs[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update(put): %v", err)
	}
}

// get reads one key in a View and returns a copy of its value.
func get(t *testing.T, s meta.Store, tab meta.Table, key string) ([]byte, error) {
	t.Helper()
	var v []byte
	var gerr error
	err := s.View(bg, func(tx meta.Tx) error {
		b, err := tx.Get(tab, []byte(key))
		v, gerr = bytes.Clone(b), err
		return nil
	})
	if err != nil {
		t.Fatalf("View(get): %v", err)
	}
	return v, gerr
}

func wantValue(t *testing.T, s meta.Store, tab meta.Table, key, want string) {
	t.Helper()
	v, err := get(t, s, tab, key)
	if err != nil {
		t.Fatalf("Get(%s, %q): %v, want %q", tab, key, err, want)
	}
	if string(v) != want {
		t.Fatalf("Get(%s, %q) = %q, want %q", tab, key, v, want)
	}
}

func wantMissing(t *testing.T, s meta.Store, tab meta.Table, key string) {
	t.Helper()
	v, err := get(t, s, tab, key)
	if !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("Get(%s, %q) = %q, %v; want meta.ErrNotFound", tab, key, v, err)
	}
}

// dump returns every key/value of a table, in cursor order, as "k=v" pairs
// with %q-quoted components.
func dump(t *testing.T, s meta.Store, tab meta.Table) []string {
	t.Helper()
	var out []string
	err := s.View(bg, func(tx meta.Tx) error {
		c := tx.Cursor(tab)
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			out = append(out, fmt.Sprintf("%q=%q", k, v))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View(dump): %v", err)
	}
	return out
}

func testGetPutDelete(t *testing.T, h *harness) {
	s := h.store(t)
	wantMissing(t, s, tabA, "k")
	put(t, s, tabA, "k", "v1", "other", "o")
	wantValue(t, s, tabA, "k", "v1")
	put(t, s, tabA, "k", "v2")
	wantValue(t, s, tabA, "k", "v2")
	wantValue(t, s, tabA, "other", "o")

	steps := []struct {
		name string
		key  string
	}{
		{"existing key", "k"},
		{"already deleted key", "k"},
		{"never written key", "nope"},
	}
	for _, st := range steps {
		err := s.Update(bg, func(tx meta.Tx) error { return tx.Delete(tabA, []byte(st.key)) })
		if err != nil {
			t.Fatalf("Delete %s: %v", st.name, err)
		}
		wantMissing(t, s, tabA, st.key)
	}
	wantValue(t, s, tabA, "other", "o")
	// A key that is a prefix of, or extends, a stored key is a different key.
	for _, k := range []string{"othe", "other\x00", "otherx", "Other"} {
		wantMissing(t, s, tabA, k)
	}
}

func testMissingTable(t *testing.T, h *harness) {
	s := h.store(t)
	put(t, s, tabA, "k", "v")
	check := func(tx meta.Tx) error {
		if v, err := tx.Get(tabC, []byte("k")); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("Get on a missing table = %q, %v; want ErrNotFound", v, err)
		}
		if k, v := tx.Cursor(tabC).Seek(nil); k != nil {
			return fmt.Errorf("Seek on a missing table = %q, %q; want nil", k, v)
		}
		return nil
	}
	if err := s.View(bg, check); err != nil {
		t.Fatalf("View: %v", err)
	}
	if err := s.Update(bg, check); err != nil {
		t.Fatalf("Update: %v", err)
	}
	// Deleting from a missing table is not an error and creates nothing.
	if err := s.Update(bg, func(tx meta.Tx) error { return tx.Delete(tabC, []byte("k")) }); err != nil {
		t.Fatalf("Delete on a missing table: %v", err)
	}
	if d := dump(t, s, tabC); len(d) != 0 {
		t.Fatalf("missing table after Delete holds %v", d)
	}
}

func testTablesAreSeparate(t *testing.T, h *harness) {
	s := h.store(t)
	put(t, s, tabA, "k", "a", "only-a", "1")
	put(t, s, tabB, "k", "b")
	wantValue(t, s, tabA, "k", "a")
	wantValue(t, s, tabB, "k", "b")
	wantMissing(t, s, tabB, "only-a")
	if d := dump(t, s, tabB); len(d) != 1 {
		t.Fatalf("table b = %v, want one key", d)
	}
	for _, tab := range []meta.Table{meta.TableBuckets, meta.TableVersions, meta.TableUploads,
		meta.TableParts, meta.TableBlobGC, meta.TableSystem} {
		put(t, s, tab, "k", string(tab))
	}
	for _, tab := range []meta.Table{meta.TableBuckets, meta.TableVersions, meta.TableUploads,
		meta.TableParts, meta.TableBlobGC, meta.TableSystem} {
		wantValue(t, s, tab, "k", string(tab))
	}
}

func testEmptyAndLargeValues(t *testing.T, h *harness) {
	s := h.store(t)
	large := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	longKey := bytes.Repeat([]byte{'k'}, 1024+64)             // longest S3 key plus bucket
	err := s.Update(bg, func(tx meta.Tx) error {
		return errors.Join(
			tx.Put(meta.TableBlobGC, []byte("empty"), []byte{}),
			tx.Put(meta.TableBlobGC, []byte("nil"), nil),
			tx.Put(tabA, []byte("large"), large),
			tx.Put(tabA, longKey, []byte("long")),
		)
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	for _, k := range []string{"empty", "nil"} {
		v, err := get(t, s, meta.TableBlobGC, k)
		if err != nil || len(v) != 0 {
			t.Fatalf("Get(%q) = %q, %v; want empty value, nil error", k, v, err)
		}
	}
	if d := dump(t, s, meta.TableBlobGC); len(d) != 2 {
		t.Fatalf("cursor over empty values = %v, want both keys", d)
	}
	if v, err := get(t, s, tabA, "large"); err != nil || !bytes.Equal(v, large) {
		t.Fatalf("Get(large) = %d bytes, %v; want %d bytes", len(v), err, len(large))
	}
	wantValue(t, s, tabA, string(longKey), "long")
}

func testReadOnlyRejectsWrites(t *testing.T, h *harness) {
	s := h.store(t)
	put(t, s, tabA, "k", "v")
	err := s.View(bg, func(tx meta.Tx) error {
		writes := []struct {
			name string
			err  error
		}{
			{"Put existing table", tx.Put(tabA, []byte("k"), []byte("x"))},
			{"Put new key", tx.Put(tabA, []byte("new"), []byte("x"))},
			{"Put missing table", tx.Put(tabC, []byte("k"), []byte("x"))},
			{"Delete", tx.Delete(tabA, []byte("k"))},
			{"Delete missing table", tx.Delete(tabC, []byte("k"))},
		}
		for _, w := range writes {
			if w.err == nil {
				t.Errorf("%s in View succeeded, want an error", w.name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	wantValue(t, s, tabA, "k", "v")
	wantMissing(t, s, tabA, "new")
	if d := dump(t, s, tabC); len(d) != 0 {
		t.Fatalf("table written in View = %v", d)
	}
}

func testReadYourWrites(t *testing.T, h *harness) {
	s := h.store(t)
	put(t, s, tabA, "gone", "x", "kept", "y")
	err := s.Update(bg, func(tx meta.Tx) error {
		if err := tx.Put(tabA, []byte("new"), []byte("n")); err != nil {
			return err
		}
		if err := tx.Put(tabC, []byte("fresh"), []byte("f")); err != nil {
			return err
		}
		if err := tx.Delete(tabA, []byte("gone")); err != nil {
			return err
		}
		for _, c := range []struct {
			tab       meta.Table
			key, want string // want "" means absent
		}{
			{tabA, "new", "n"}, {tabC, "fresh", "f"}, {tabA, "gone", ""}, {tabA, "kept", "y"},
		} {
			v, err := tx.Get(c.tab, []byte(c.key))
			switch {
			case c.want == "" && !errors.Is(err, meta.ErrNotFound):
				return fmt.Errorf("Get(%q) in same Update = %q, %v; want ErrNotFound", c.key, v, err)
			case c.want != "" && (err != nil || string(v) != c.want):
				return fmt.Errorf("Get(%q) in same Update = %q, %v; want %q", c.key, v, err, c.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testUpdateErrorRollsBack(t *testing.T, h *harness) {
	s := h.store(t)
	put(t, s, tabA, "k", "orig", "del", "d")
	before := dump(t, s, tabA)
	err := s.Update(bg, func(tx meta.Tx) error {
		for i := range 100 {
			if err := tx.Put(tabA, fmt.Appendf(nil, "n%03d", i), []byte("x")); err != nil {
				return err
			}
		}
		if err := tx.Put(tabA, []byte("k"), []byte("changed")); err != nil {
			return err
		}
		if err := tx.Delete(tabA, []byte("del")); err != nil {
			return err
		}
		if err := tx.Put(tabC, []byte("k"), []byte("v")); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errAbort)
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	if after := dump(t, s, tabA); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("table after failed Update = %v, want %v", after, before)
	}
	if d := dump(t, s, tabC); len(d) != 0 {
		t.Fatalf("table created by failed Update holds %v", d)
	}
}

func testUpdatePanicRollsBack(t *testing.T, h *harness) {
	s := h.store(t)
	put(t, s, tabA, "k", "orig")
	func() {
		defer func() {
			if r := recover(); r != "metatest panic" {
				t.Fatalf("recovered %v, want fn's panic to propagate", r)
			}
		}()
		_ = s.Update(bg, func(tx meta.Tx) error {
			if err := tx.Put(tabA, []byte("k"), []byte("changed")); err != nil {
				return err
			}
			panic("metatest panic")
		})
	}()
	wantValue(t, s, tabA, "k", "orig")
	put(t, s, tabA, "after", "ok") // the store is still usable
	wantValue(t, s, tabA, "after", "ok")
}

func testValueOwnership(t *testing.T, h *harness) {
	s := h.store(t)
	// Put must not keep the caller's buffers: reuse them inside the same
	// transaction and check what was committed.
	err := s.Update(bg, func(tx meta.Tx) error {
		k, v := []byte("key-1"), []byte("value-1")
		if err := tx.Put(tabA, k, v); err != nil {
			return err
		}
		copy(k, "key-2")
		copy(v, "value-2")
		return tx.Put(tabA, k, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	wantValue(t, s, tabA, "key-1", "value-1")
	wantValue(t, s, tabA, "key-2", "value-2")

	// A slice from Get stays valid for the rest of its transaction, even
	// after writes, and a copy stays correct forever.
	var kept []byte
	err = s.Update(bg, func(tx meta.Tx) error {
		v, err := tx.Get(tabA, []byte("key-1"))
		if err != nil {
			return err
		}
		if err := tx.Put(tabA, []byte("key-1"), []byte("overwritten")); err != nil {
			return err
		}
		for i := range 500 {
			if err := tx.Put(tabA, fmt.Appendf(nil, "fill-%04d", i), bytes.Repeat([]byte{'f'}, 200)); err != nil {
				return err
			}
		}
		if string(v) != "value-1" {
			return fmt.Errorf("slice from Get changed to %q after later writes in the same Update", v)
		}
		kept = bytes.Clone(v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var viewed []byte
	if err := s.View(bg, func(tx meta.Tx) error {
		v, err := tx.Get(tabA, []byte("key-2"))
		viewed = bytes.Clone(v)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Churn the store so freed pages get reused, then check the copies.
	for round := range 5 {
		err := s.Update(bg, func(tx meta.Tx) error {
			if err := tx.Put(tabA, []byte("key-2"), fmt.Appendf(nil, "round-%d", round)); err != nil {
				return err
			}
			for i := range 500 {
				if err := tx.Delete(tabA, fmt.Appendf(nil, "fill-%04d", i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if string(kept) != "value-1" || string(viewed) != "value-2" {
		t.Fatalf("copies changed: %q, %q", kept, viewed)
	}
}

func testContextDone(t *testing.T, h *harness) {
	s := h.store(t)
	canceled, cancel := context.WithCancel(bg)
	cancel()
	expired, cancel2 := context.WithTimeout(bg, -1)
	defer cancel2()
	for _, c := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"canceled", canceled, context.Canceled},
		{"deadline", expired, context.DeadlineExceeded},
	} {
		t.Run(c.name, func(t *testing.T) {
			called := false
			err := s.View(c.ctx, func(meta.Tx) error { called = true; return nil })
			if !errors.Is(err, c.want) || called {
				t.Errorf("View = %v (fn called: %v), want %v without calling fn", err, called, c.want)
			}
			err = s.Update(c.ctx, func(tx meta.Tx) error {
				called = true
				return tx.Put(tabA, []byte("k"), []byte("v"))
			})
			if !errors.Is(err, c.want) || called {
				t.Errorf("Update = %v (fn called: %v), want %v without calling fn", err, called, c.want)
			}
			wantMissing(t, s, tabA, "k")
		})
	}
}

func testReopen(t *testing.T, h *harness) {
	dir := t.TempDir()
	want := map[string]string{"k": "v", "\x00\xff": "bin", "empty": ""}
	s := h.openDir(t, dir)
	for k, v := range want {
		put(t, s, tabA, k, v)
	}
	put(t, s, meta.TableSystem, "seq", "41")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = h.openDir(t, dir)
	for k, v := range want {
		wantValue(t, s, tabA, k, v)
	}
	wantValue(t, s, meta.TableSystem, "seq", "41")
	put(t, s, meta.TableSystem, "seq", "42")
	if err := s.Update(bg, func(tx meta.Tx) error { return tx.Delete(tabA, []byte("k")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(bg, func(tx meta.Tx) error {
		if err := tx.Put(tabA, []byte("rolled-back"), []byte("x")); err != nil {
			return err
		}
		return errAbort
	}); !errors.Is(err, errAbort) {
		t.Fatalf("Update = %v, want errAbort", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	s = h.openDir(t, dir)
	wantValue(t, s, meta.TableSystem, "seq", "42")
	wantMissing(t, s, tabA, "k")
	wantMissing(t, s, tabA, "rolled-back")
	wantValue(t, s, tabA, "\x00\xff", "bin")

	// Another dir is another, empty store.
	other := h.store(t)
	wantMissing(t, other, meta.TableSystem, "seq")
}
