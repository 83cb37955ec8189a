package metatest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/kurastore/kura/internal/meta"
)

// putVersions stores a small version record for each (key, seq) of bucket.
func putVersions(t *testing.T, s meta.Store, bucket string, versions map[string][]uint64) {
	t.Helper()
	err := s.Update(bg, func(tx meta.Tx) error {
		for key, seqs := range versions {
			for _, seq := range seqs {
				v := fmt.Appendf(nil, "%s#%d", key, seq)
				if err := tx.Put(meta.TableVersions, meta.VersionKey(bucket, key, seq), v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update(put versions): %v", err)
	}
}

func testVersionKeyOrder(t *testing.T, h *harness) {
	s := h.store(t)
	seqs := []uint64{0, 1, 2, 9, 10, 255, 256, 1 << 32, 1 << 40, math.MaxUint64 - 1, math.MaxUint64}
	putVersions(t, s, "bkt", map[string][]uint64{"k": seqs, "j": {5}, "k0": {7}})
	var got []uint64
	err := s.View(bg, func(tx meta.Tx) error {
		prefix := meta.VersionsPrefix("bkt", "k")
		c := tx.Cursor(meta.TableVersions)
		for k, v := c.Seek(prefix); bytes.HasPrefix(k, prefix); k, v = c.Next() {
			key, seq, ok := meta.SplitVersionKey("bkt", k)
			if !ok || key != "k" {
				return fmt.Errorf("SplitVersionKey(%q) = %q, %d, %v", k, key, seq, ok)
			}
			if want := fmt.Sprintf("k#%d", seq); string(v) != want {
				return fmt.Errorf("value under seq %d = %q, want %q", seq, v, want)
			}
			got = append(got, seq)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(seqs)
	slices.Sort(want)
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Fatalf("versions of k in cursor order = %v, want newest first %v", got, want)
	}
}

// testAfterKeyListing lists a bucket the way ListObjects does: take the
// first (newest) version of a key, then Seek to AfterKey to skip the rest.
func testAfterKeyListing(t *testing.T, h *harness) {
	s := h.store(t)
	keys := []string{"a", "a/", "a/b", "a/b/c", "a\x01", "a\x7f", "ab", "a b", "b", "é", "日本", "\U0010ffff", "z\xff"}
	versions := map[string][]uint64{}
	for i, k := range keys {
		versions[k] = []uint64{1, uint64(i + 2), uint64(100 + i)}
	}
	putVersions(t, s, "bk", versions)
	// Neighbouring buckets whose names extend or prefix "bk".
	putVersions(t, s, "b", map[string][]uint64{"a": {1}, "k": {1}})
	putVersions(t, s, "bk2", map[string][]uint64{"a": {1}, "0": {1}})
	putVersions(t, s, "bk\x01", map[string][]uint64{"a": {1}})

	cases := []struct {
		prefix string
		want   []string
	}{
		{"", sortedStrings(keys)},
		{"a", sortedStrings(keys[:8])},
		{"a/", []string{"a/", "a/b", "a/b/c"}},
		{"a/b", []string{"a/b", "a/b/c"}},
		{"ab", []string{"ab"}},
		{"b", []string{"b"}},
		{"c", nil},
		{"\xff", nil},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("prefix=%q", c.prefix), func(t *testing.T) {
			var got []string
			err := s.View(bg, func(tx meta.Tx) error {
				prefix := meta.ObjectPrefix("bk", c.prefix)
				cur := tx.Cursor(meta.TableVersions)
				for k, _ := cur.Seek(prefix); bytes.HasPrefix(k, prefix); {
					key, seq, ok := meta.SplitVersionKey("bk", k)
					if !ok {
						return fmt.Errorf("SplitVersionKey(%q) failed", k)
					}
					if newest := versions[key][2]; seq != newest {
						return fmt.Errorf("first version of %q has seq %d, want newest %d", key, seq, newest)
					}
					got = append(got, key)
					k, _ = cur.Seek(meta.AfterKey("bk", key))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("listing = %q, want %q", got, c.want)
			}
		})
	}
}

func sortedStrings(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s) // Go string order is byte order
	return s
}

func testSplitVersionKey(t *testing.T, h *harness) {
	roundTrips := []struct {
		bucket, key string
		seq         uint64
	}{
		{"b", "k", 1},
		{"bucket", "", 0},
		{"bucket", "a/b/c", math.MaxUint64},
		{"bucket", "x\x01\xff\x00y", 42}, // NUL is not a valid object key byte but must not confuse Split
		{"bucket-2", "日本/é", 1 << 63},
	}
	for _, c := range roundTrips {
		k := meta.VersionKey(c.bucket, c.key, c.seq)
		key, seq, ok := meta.SplitVersionKey(c.bucket, k)
		if !ok || key != c.key || seq != c.seq {
			t.Errorf("SplitVersionKey(VersionKey(%q, %q, %d)) = %q, %d, %v", c.bucket, c.key, c.seq, key, seq, ok)
		}
	}
	seq := binary.BigEndian.AppendUint64(nil, ^uint64(1))
	rejects := []struct {
		name, bucket string
		k            []byte
	}{
		{"other bucket", "c", meta.VersionKey("b", "k", 1)},
		{"bucket extends", "b", meta.VersionKey("bk", "k", 1)},
		{"bucket prefix", "bk", meta.VersionKey("b", "k", 1)},
		{"too short", "b", []byte("b\x00\x00")},
		{"no separator", "b", append([]byte("b\x00k"), seq...)},
		{"empty", "b", nil},
	}
	for _, c := range rejects {
		if key, seq, ok := meta.SplitVersionKey(c.bucket, c.k); ok {
			t.Errorf("%s: SplitVersionKey(%q, %q) = %q, %d, true; want !ok", c.name, c.bucket, c.k, key, seq)
		}
	}
	// The rejection cases run through a store too: a cursor scan of one
	// bucket's prefix never yields another bucket's keys.
	s := h.store(t)
	putVersions(t, s, "b", map[string][]uint64{"k": {1, 2}})
	putVersions(t, s, "bk", map[string][]uint64{"k": {3}})
	err := s.View(bg, func(tx meta.Tx) error {
		prefix := meta.ObjectPrefix("b", "")
		c := tx.Cursor(meta.TableVersions)
		n := 0
		for k, _ := c.Seek(prefix); bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if _, _, ok := meta.SplitVersionKey("b", k); !ok {
				return fmt.Errorf("key %q under bucket b's prefix does not split", k)
			}
			n++
		}
		if n != 2 {
			return fmt.Errorf("bucket b has %d versions under its prefix, want 2", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testUploadAndPartKeys(t *testing.T, h *harness) {
	s := h.store(t)
	uploads := []struct{ bucket, key, id string }{
		{"bk", "a", "u2"}, {"bk", "a", "u1"}, {"bk", "a/", "u3"}, {"bk", "ab", "u4"}, {"bk2", "a", "u5"},
	}
	parts := []int{10000, 1, 256, 2, 10, 255}
	err := s.Update(bg, func(tx meta.Tx) error {
		for _, u := range uploads {
			if err := tx.Put(meta.TableUploads, meta.UploadKey(u.bucket, u.key, u.id), []byte(u.id)); err != nil {
				return err
			}
		}
		for _, id := range []string{"u1", "u10", "u"} {
			for _, n := range parts {
				if err := tx.Put(meta.TableParts, meta.PartKey(id, n), fmt.Appendf(nil, "%s:%d", id, n)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	scanValues := func(tab meta.Table, prefix []byte) []string {
		t.Helper()
		var out []string
		err := s.View(bg, func(tx meta.Tx) error {
			c := tx.Cursor(tab)
			for k, v := c.Seek(prefix); bytes.HasPrefix(k, prefix); k, v = c.Next() {
				out = append(out, string(v))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cases := []struct {
		name   string
		tab    meta.Table
		prefix []byte
		want   []string
	}{
		{"uploads of bk/a", meta.TableUploads, meta.VersionsPrefix("bk", "a"), []string{"u1", "u2"}},
		{"uploads under bk/a", meta.TableUploads, meta.ObjectPrefix("bk", "a"), []string{"u1", "u2", "u3", "u4"}},
		{"uploads of bk", meta.TableUploads, meta.ObjectPrefix("bk", ""), []string{"u1", "u2", "u3", "u4"}},
		{"parts of u1", meta.TableParts, meta.PartKey("u1", 0),
			[]string{"u1:1", "u1:2", "u1:10", "u1:255", "u1:256", "u1:10000"}},
		{"parts of u", meta.TableParts, meta.PartKey("u", 0),
			[]string{"u:1", "u:2", "u:10", "u:255", "u:256", "u:10000"}},
	}
	for _, c := range cases {
		if got := scanValues(c.tab, c.prefix); !slices.Equal(got, c.want) {
			t.Errorf("%s = %q, want %q", c.name, got, c.want)
		}
	}
}
