package metatest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/kurastore/kura/internal/meta"
)

// binaryKeys are stored by the cursor tests: NUL and 0xff bytes, keys that
// are prefixes of each other, and keys differing only in their last byte.
var binaryKeys = [][]byte{
	{0x00}, {0x00, 0x00}, {0x00, 0x01}, {0x00, 0xff}, {0x01},
	[]byte("a"), []byte("a\x00"), []byte("a\x00\x00"), []byte("a\xff"), []byte("a/"), []byte("ab"),
	{0x7f}, {0x80}, {0xfe, 0xff}, {0xff}, {0xff, 0x00}, {0xff, 0xff}, {0xff, 0xff, 0xff, 0xff},
}

// valueOf is the value stored under k: some keys get an empty value.
func valueOf(k []byte) []byte {
	if len(k)%3 == 0 {
		return []byte{}
	}
	return append([]byte("v:"), k...)
}

// storeKeys writes keys into tab in a shuffled order, over several Updates.
func storeKeys(t *testing.T, s meta.Store, tab meta.Table, keys [][]byte, perTx int) {
	t.Helper()
	shuffled := slices.Clone(keys)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	for len(shuffled) > 0 {
		n := min(perTx, len(shuffled))
		chunk := shuffled[:n]
		shuffled = shuffled[n:]
		err := s.Update(bg, func(tx meta.Tx) error {
			for _, k := range chunk {
				if err := tx.Put(tab, k, valueOf(k)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Update(store keys): %v", err)
		}
	}
}

func sortedKeys(keys [][]byte) [][]byte {
	s := slices.Clone(keys)
	slices.SortFunc(s, bytes.Compare)
	return s
}

// scan collects copies of the keys from Seek(from) to the end, checking
// each value.
func scan(tx meta.Tx, tab meta.Table, from []byte) ([][]byte, error) {
	var out [][]byte
	c := tx.Cursor(tab)
	for k, v := c.Seek(from); k != nil; k, v = c.Next() {
		if !bytes.Equal(v, valueOf(k)) {
			return nil, fmt.Errorf("value of %q = %q, want %q", k, v, valueOf(k))
		}
		out = append(out, bytes.Clone(k))
	}
	return out, nil
}

func testCursorOrder(t *testing.T, h *harness) {
	s := h.store(t)
	storeKeys(t, s, tabA, binaryKeys, 5)
	want := sortedKeys(binaryKeys)
	err := s.View(bg, func(tx meta.Tx) error {
		for _, from := range [][]byte{nil, {}} {
			got, err := scan(tx, tabA, from)
			if err != nil {
				return err
			}
			if !slices.EqualFunc(got, want, bytes.Equal) {
				return fmt.Errorf("Seek(%q)+Next order = %q, want %q", from, got, want)
			}
		}
		// Past the end, Next keeps returning nil.
		c := tx.Cursor(tabA)
		if k, _ := c.Seek([]byte{0xff, 0xff, 0xff, 0xff}); k == nil {
			return errors.New("Seek(last key) = nil")
		}
		for i := range 3 {
			if k, v := c.Next(); k != nil || v != nil {
				return fmt.Errorf("Next #%d past the end = %q, %q; want nil, nil", i, k, v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testCursorSeek(t *testing.T, h *harness) {
	s := h.store(t)
	storeKeys(t, s, tabA, binaryKeys, 100)
	sorted := sortedKeys(binaryKeys)
	// firstGE is the reference answer: the first stored key >= seek.
	firstGE := func(seek []byte) []byte {
		i := sort.Search(len(sorted), func(i int) bool { return bytes.Compare(sorted[i], seek) >= 0 })
		if i == len(sorted) {
			return nil
		}
		return sorted[i]
	}
	seeks := [][]byte{
		nil, {}, {0x00}, {0x00, 0x00, 0x00}, {0x00, 0x02}, {0x00, 0xff, 0x00},
		[]byte("0"), []byte("a"), []byte("a\x00\x01"), []byte("a\x01"), []byte("a0"), []byte("aa"),
		[]byte("ab\x00"), []byte("b"), {0x80, 0x00}, {0xfe}, {0xff}, {0xff, 0x00, 0x00},
		{0xff, 0xff, 0xff}, {0xff, 0xff, 0xff, 0xff, 0x00}, {0xff, 0xff, 0xff, 0xff, 0xff},
	}
	seeks = append(seeks, binaryKeys...)
	err := s.View(bg, func(tx meta.Tx) error {
		c := tx.Cursor(tabA) // one cursor, re-sought in both directions
		for _, seek := range seeks {
			want := firstGE(seek)
			k, v := c.Seek(seek)
			if !bytes.Equal(k, want) || (k == nil) != (want == nil) {
				return fmt.Errorf("Seek(%q) = %q, want %q", seek, k, want)
			}
			if k == nil {
				if v != nil {
					return fmt.Errorf("Seek(%q) past the end gave value %q", seek, v)
				}
				continue
			}
			if !bytes.Equal(v, valueOf(k)) {
				return fmt.Errorf("Seek(%q) value = %q, want %q", seek, v, valueOf(k))
			}
			// Next continues from the sought key.
			i := slices.IndexFunc(sorted, func(s []byte) bool { return bytes.Equal(s, k) })
			nk, _ := c.Next()
			var wantNext []byte
			if i+1 < len(sorted) {
				wantNext = sorted[i+1]
			}
			if !bytes.Equal(nk, wantNext) || (nk == nil) != (wantNext == nil) {
				return fmt.Errorf("Next after Seek(%q) = %q, want %q", seek, nk, wantNext)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testCursorMissingTable(t *testing.T, h *harness) {
	s := h.store(t)
	put(t, s, tabA, "k", "v")
	check := func(tx meta.Tx) error {
		c := tx.Cursor(tabC)
		for _, seek := range [][]byte{nil, []byte("k"), {0xff}} {
			if k, v := c.Seek(seek); k != nil || v != nil {
				return fmt.Errorf("Seek(%q) on missing table = %q, %q", seek, k, v)
			}
			if k, v := c.Next(); k != nil || v != nil {
				return fmt.Errorf("Next on missing table = %q, %q", k, v)
			}
		}
		return nil
	}
	if err := s.View(bg, check); err != nil {
		t.Fatalf("View: %v", err)
	}
	if err := s.Update(bg, check); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func testCursorAfterWrite(t *testing.T, h *harness) {
	s := h.store(t)
	put(t, s, tabA, "b", "1", "d", "2", "f", "3")
	err := s.Update(bg, func(tx meta.Tx) error {
		c := tx.Cursor(tabA)
		if k, _ := c.Seek([]byte("c")); string(k) != "d" {
			return fmt.Errorf("Seek(c) = %q, want d", k)
		}
		if err := tx.Put(tabA, []byte("c"), []byte("new")); err != nil {
			return err
		}
		if err := tx.Delete(tabA, []byte("d")); err != nil {
			return err
		}
		// Re-seeking the same cursor sees this transaction's writes.
		steps := []struct{ seek, wantK, wantV string }{
			{"c", "c", "new"},
			{"c\x00", "f", "3"},
			{"d", "f", "3"},
			{"", "b", "1"},
		}
		for _, st := range steps {
			k, v := c.Seek([]byte(st.seek))
			if string(k) != st.wantK || string(v) != st.wantV {
				return fmt.Errorf("Seek(%q) after writes = %q=%q, want %q=%q", st.seek, k, v, st.wantK, st.wantV)
			}
		}
		// A cursor on a table first written after the cursor was made
		// sees the table once re-sought.
		fresh := tx.Cursor(tabC)
		if k, _ := fresh.Seek(nil); k != nil {
			return fmt.Errorf("Seek on missing table = %q", k)
		}
		if err := tx.Put(tabC, []byte("x"), []byte("y")); err != nil {
			return err
		}
		if k, v := fresh.Seek(nil); string(k) != "x" || string(v) != "y" {
			return fmt.Errorf("Seek after the table's first Put = %q=%q, want x=y", k, v)
		}
		// Deleting while walking, re-seeking after each Delete.
		var deleted []string
		for k, _ := c.Seek(nil); k != nil; {
			kc := bytes.Clone(k)
			deleted = append(deleted, string(kc))
			if err := tx.Delete(tabA, kc); err != nil {
				return err
			}
			k, _ = c.Seek(kc)
		}
		if fmt.Sprint(deleted) != "[b c f]" {
			return fmt.Errorf("delete-walk visited %q, want [b c f]", deleted)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := dump(t, s, tabA); len(d) != 0 {
		t.Fatalf("table after delete-walk = %v", d)
	}
}

func testCursorManyKeys(t *testing.T, h *harness) {
	s := h.store(t)
	const n = 5000 // enough to span many B-tree pages
	keys := make([][]byte, n)
	for i := range keys {
		// Big-endian numbers with NUL-padded text: byte order is i order.
		keys[i] = fmt.Appendf([]byte{byte(i >> 8), byte(i)}, "\x00key-%05d-%s", i, bytes.Repeat([]byte{'x'}, i%97))
	}
	storeKeys(t, s, tabA, keys, 1000)
	check := func(want [][]byte) {
		t.Helper()
		err := s.View(bg, func(tx meta.Tx) error {
			got, err := scan(tx, tabA, nil)
			if err != nil {
				return err
			}
			if len(got) != len(want) {
				return fmt.Errorf("scan found %d keys, want %d", len(got), len(want))
			}
			for i := range got {
				if !bytes.Equal(got[i], want[i]) {
					return fmt.Errorf("key #%d = %q, want %q", i, got[i], want[i])
				}
			}
			// Seeking into the middle of the table, to a key between two.
			mid := len(want) / 2
			k, _ := tx.Cursor(tabA).Seek(append(bytes.Clone(want[mid-1]), 0))
			if !bytes.Equal(k, want[mid]) {
				return fmt.Errorf("Seek(between) = %q, want %q", k, want[mid])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check(keys)

	// Delete every other key and every key in a contiguous run, then rescan.
	var kept [][]byte
	err := s.Update(bg, func(tx meta.Tx) error {
		for i, k := range keys {
			if i%2 == 0 || (i > 1000 && i < 3000) {
				if err := tx.Delete(tabA, k); err != nil {
					return err
				}
			} else {
				kept = append(kept, k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check(kept)
}
