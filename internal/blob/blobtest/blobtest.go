// Package blobtest is the behaviour suite every blob.Store implementation
// must pass. A backend's tests call Run with a function returning a new,
// empty store:
//
//	func TestSuite(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) blob.Store {
//			s, err := fs.Open(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// It covers Put/Open/ReadAt/Size, io.ReaderAt end-of-blob semantics,
// immutability (blob.ErrExists, also under concurrent Puts of one id),
// all-or-nothing Puts when the reader fails, Delete, Walk (ids, sizes and
// modification times), concurrency, a
// large streamed blob and rejection of unsafe ids.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/blob"
)

// Run runs the suite as subtests of t. open must return a new, empty store;
// the suite does not close stores (blob.Store has no Close).
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, blob.Store)
	}{
		{"PutOpen", testPutOpen},
		{"ReadAt", testReadAt},
		{"EmptyBlob", testEmptyBlob},
		{"ConcurrentReadAt", testConcurrentReadAt},
		{"PutExisting", testPutExisting},
		{"ConcurrentPutSameID", testConcurrentPutSameID},
		{"FailingReader", testFailingReader},
		{"ContextDone", testContextDone},
		{"Delete", testDelete},
		{"Walk", testWalk},
		{"WalkInfo", testWalkInfo},
		{"ConcurrentPuts", testConcurrentPuts},
		{"LargeBlob", testLargeBlob},
		{"ValidIDs", testValidIDs},
		{"InvalidIDs", testInvalidIDs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			if s == nil {
				t.Fatal("open returned a nil store")
			}
			tc.fn(t, s)
		})
	}
}

var (
	bg      = context.Background()
	errBoom = errors.New("blobtest: reader failed")
)

// Ids in the suite look like Kura's (object.Service.newBlobID: the time,
// then 32 hex digits), plus a few short ones.
const (
	id1 = "20261206T173000-6f1c0a4e9b2d47c88e3f5a1b7c9d0e21"
	id2 = "20261206T173000-6f1c0a4e9b2d47c88e3f5a1b7c9d0e22"
)

// pattern returns n deterministic bytes that differ per seed.
func pattern(seed uint64, n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8(seedBytes(seed)).Read(b)
	return b
}

func seedBytes(seed uint64) [32]byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return s
}

func mustPut(t *testing.T, s blob.Store, id string, data []byte) {
	t.Helper()
	n, err := s.Put(bg, id, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put(%s): %v", id, err)
	}
	if n != int64(len(data)) {
		t.Fatalf("Put(%s) = %d bytes, want %d", id, n, len(data))
	}
}

// content reads a whole blob through Open and ReadAt.
func content(t *testing.T, s blob.Store, id string) []byte {
	t.Helper()
	r, err := s.Open(bg, id)
	if err != nil {
		t.Fatalf("Open(%s): %v", id, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	if err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	return b
}

func wantContent(t *testing.T, s blob.Store, id string, want []byte) {
	t.Helper()
	if got := content(t, s, id); !bytes.Equal(got, want) {
		t.Fatalf("content of %s: %d bytes, want %d bytes (equal: %v)", id, len(got), len(want), bytes.Equal(got, want))
	}
}

func wantAbsent(t *testing.T, s blob.Store, id string) {
	t.Helper()
	r, err := s.Open(bg, id)
	if err == nil {
		r.Close()
		t.Fatalf("Open(%s) succeeded, want blob.ErrNotFound", id)
	}
	if !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open(%s) = %v, want blob.ErrNotFound", id, err)
	}
}

// walk returns the sorted ids Walk reports, failing on duplicates.
func walk(t *testing.T, s blob.Store) []string {
	t.Helper()
	var ids []string
	if err := s.Walk(bg, func(b blob.Info) error { ids = append(ids, b.ID); return nil }); err != nil {
		t.Fatalf("Walk: %v", err)
	}
	slices.Sort(ids)
	if d := slices.Compact(slices.Clone(ids)); len(d) != len(ids) {
		t.Fatalf("Walk reported duplicates: %q", ids)
	}
	return ids
}

func wantWalk(t *testing.T, s blob.Store, want ...string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	if got := walk(t, s); !slices.Equal(got, want) {
		t.Fatalf("Walk = %q, want %q", got, want)
	}
}

func testPutOpen(t *testing.T, s blob.Store) {
	for i, size := range []int{1, 100, 4096, 4097, 300 << 10} {
		id := fmt.Sprintf("blob-%d", i)
		data := pattern(uint64(i), size)
		mustPut(t, s, id, data)
		r, err := s.Open(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Size() != int64(size) {
			t.Errorf("Size(%s) = %d, want %d", id, r.Size(), size)
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		wantContent(t, s, id, data)
	}
	wantAbsent(t, s, id1)
}

func testReadAt(t *testing.T, s blob.Store) {
	const size = 10000
	data := pattern(7, size)
	mustPut(t, s, id1, data)
	r, err := s.Open(bg, id1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cases := []struct {
		name     string
		off      int64
		len      int
		wantN    int
		wantEOF  bool // io.EOF required
		mayEOF   bool // io.EOF allowed (read ends exactly at the end)
		wantFail bool // some other error required
	}{
		{name: "start", off: 0, len: 100, wantN: 100},
		{name: "middle", off: 4000, len: 3000, wantN: 3000},
		{name: "whole", off: 0, len: size, wantN: size, mayEOF: true},
		{name: "up to end", off: size - 10, len: 10, wantN: 10, mayEOF: true},
		{name: "across end", off: size - 10, len: 100, wantN: 10, wantEOF: true},
		{name: "more than all", off: 0, len: size + 1, wantN: size, wantEOF: true},
		{name: "at end", off: size, len: 1, wantN: 0, wantEOF: true},
		{name: "past end", off: size + 4096, len: 10, wantN: 0, wantEOF: true},
		{name: "empty read", off: 5, len: 0, wantN: 0},
		{name: "negative offset", off: -1, len: 10, wantFail: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := make([]byte, c.len)
			n, err := r.ReadAt(p, c.off)
			switch {
			case c.wantFail:
				if err == nil || errors.Is(err, io.EOF) {
					t.Fatalf("ReadAt(off %d) = %d, %v; want a non-EOF error", c.off, n, err)
				}
				return
			case c.wantEOF && err != io.EOF:
				t.Fatalf("ReadAt = %d, %v; want io.EOF", n, err)
			case !c.wantEOF && err != nil && !(c.mayEOF && err == io.EOF):
				t.Fatalf("ReadAt = %d, %v; want nil error", n, err)
			}
			if n != c.wantN {
				t.Fatalf("ReadAt = %d bytes, want %d", n, c.wantN)
			}
			if !bytes.Equal(p[:n], data[min(c.off, size):min(c.off+int64(n), size)]) {
				t.Fatal("ReadAt returned wrong bytes")
			}
		})
	}
}

func testEmptyBlob(t *testing.T, s blob.Store) {
	mustPut(t, s, id1, nil)
	r, err := s.Open(bg, id1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Size() != 0 {
		t.Errorf("Size = %d, want 0", r.Size())
	}
	if n, err := r.ReadAt(make([]byte, 1), 0); n != 0 || err != io.EOF {
		t.Errorf("ReadAt on empty blob = %d, %v; want 0, io.EOF", n, err)
	}
	wantWalk(t, s, id1)
}

func testConcurrentReadAt(t *testing.T, s blob.Store) {
	data := pattern(3, 1<<20)
	mustPut(t, s, id1, data)
	r, err := s.Open(bg, id1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			p := make([]byte, 4096)
			for i := range 64 {
				off := int64((g*64 + i) * 2048 % (len(data) - len(p)))
				if n, err := r.ReadAt(p, off); n != len(p) || err != nil {
					t.Errorf("ReadAt(%d) = %d, %v", off, n, err)
					return
				}
				if !bytes.Equal(p, data[off:off+int64(len(p))]) {
					t.Errorf("ReadAt(%d) returned wrong bytes", off)
					return
				}
			}
		})
	}
	wg.Wait()
}

func testPutExisting(t *testing.T, s blob.Store) {
	orig := pattern(1, 5000)
	mustPut(t, s, id1, orig)
	for _, again := range [][]byte{pattern(2, 5000), pattern(3, 10), nil} {
		_, err := s.Put(bg, id1, bytes.NewReader(again))
		if !errors.Is(err, blob.ErrExists) {
			t.Fatalf("second Put = %v, want blob.ErrExists", err)
		}
		wantContent(t, s, id1, orig)
	}
	wantWalk(t, s, id1)
}

func testConcurrentPutSameID(t *testing.T, s blob.Store) {
	const writers = 8
	for round := range 5 {
		id := fmt.Sprintf("race-%d", round)
		start := make(chan struct{})
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				<-start
				_, errs[w] = s.Put(bg, id, bytes.NewReader(pattern(uint64(w), 64<<10)))
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for w, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both stored %s", round, winner, w, id)
			case err == nil:
				winner = w
			case !errors.Is(err, blob.ErrExists):
				t.Fatalf("round %d: writer %d: Put = %v, want nil or blob.ErrExists", round, w, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no Put of %s succeeded", round, id)
		}
		wantContent(t, s, id, pattern(uint64(winner), 64<<10))
	}
}

// failingReader yields n bytes, then fails.
type failingReader struct{}

func newFailingReader(n int) io.Reader {
	return io.MultiReader(bytes.NewReader(pattern(9, n)), failingReader{})
}

func (failingReader) Read([]byte) (int, error) { return 0, errBoom }

func testFailingReader(t *testing.T, s blob.Store) {
	mustPut(t, s, id2, []byte("bystander"))
	for _, n := range []int{0, 1, 1 << 20} {
		if _, err := s.Put(bg, id1, newFailingReader(n)); err == nil {
			t.Fatalf("Put with a reader failing after %d bytes succeeded", n)
		}
		wantAbsent(t, s, id1)
		wantWalk(t, s, id2)
	}
	// Nothing left behind blocks a later Put of the same id.
	mustPut(t, s, id1, []byte("second try"))
	wantContent(t, s, id1, []byte("second try"))
	wantWalk(t, s, id1, id2)
}

// cancelingReader cancels its context after the first read and then keeps
// yielding data.
type cancelingReader struct {
	cancel context.CancelFunc
	r      io.Reader
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	defer c.cancel()
	return c.r.Read(p)
}

func testContextDone(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := s.Put(ctx, id1, bytes.NewReader([]byte("x"))); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a canceled context = %v, want context.Canceled", err)
	}
	wantAbsent(t, s, id1)

	// Canceled midway: the Put either fails and leaves nothing, or
	// completes with all the data.
	ctx, cancel = context.WithCancel(bg)
	defer cancel()
	data := pattern(4, 4<<20)
	_, err := s.Put(ctx, id2, &cancelingReader{cancel, bytes.NewReader(data)})
	if err != nil {
		wantAbsent(t, s, id2)
		wantWalk(t, s)
	} else {
		t.Log("Put completed although its context was canceled midway")
		wantContent(t, s, id2, data)
	}
}

func testDelete(t *testing.T, s blob.Store) {
	mustPut(t, s, id1, []byte("one"))
	mustPut(t, s, id2, []byte("two"))
	steps := []struct {
		name, id string
	}{
		{"existing", id1},
		{"already deleted", id1},
		{"never stored", "never-stored"},
	}
	for _, st := range steps {
		if err := s.Delete(bg, st.id); err != nil {
			t.Fatalf("Delete %s: %v", st.name, err)
		}
		wantAbsent(t, s, st.id)
	}
	wantContent(t, s, id2, []byte("two"))
	wantWalk(t, s, id2)
}

func testWalk(t *testing.T, s blob.Store) {
	wantWalk(t, s)
	var want []string
	for i := range 200 {
		id := fmt.Sprintf("01JB8ZK6QG3XH4Y7W2N5R9%04d", i)
		if i%10 == 0 {
			id = fmt.Sprintf("w%d", i) // short ids too
		}
		mustPut(t, s, id, []byte(id))
		if i%3 == 0 {
			if err := s.Delete(bg, id); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want = append(want, id)
	}
	wantWalk(t, s, want...)

	// An error from fn stops the walk and comes back.
	calls := 0
	err := s.Walk(bg, func(blob.Info) error { calls++; return errBoom })
	if !errors.Is(err, errBoom) || calls != 1 {
		t.Fatalf("Walk with failing fn = %v after %d calls, want errBoom after 1", err, calls)
	}
}

// testWalkInfo checks what Walk says about each blob: its size, and a
// modification time that is not before the Put began (the orphan sweep
// deletes unreferenced blobs older than a grace period, so a time earlier
// than the write could delete a blob whose metadata is about to commit).
// Filesystems store times with limited precision (down to 2 s on FAT), so
// the lower bound allows for rounding down.
func testWalkInfo(t *testing.T, s blob.Store) {
	const precision = 2 * time.Second
	sizes := map[string]int{id1: 0, id2: 1, "w-3": 70 << 10}
	before := time.Now()
	for id, n := range sizes {
		mustPut(t, s, id, pattern(uint64(n), n))
	}
	after := time.Now()
	seen := map[string]bool{}
	err := s.Walk(bg, func(b blob.Info) error {
		n, ok := sizes[b.ID]
		if !ok {
			t.Errorf("Walk reported unknown blob %q", b.ID)
			return nil
		}
		seen[b.ID] = true
		if b.Size != int64(n) {
			t.Errorf("Walk: %s has Size %d, want %d", b.ID, b.Size, n)
		}
		if b.ModTime.Before(before.Add(-precision)) || b.ModTime.After(after.Add(precision)) {
			t.Errorf("Walk: %s has ModTime %v, want within [%v, %v]", b.ID, b.ModTime, before, after)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if len(seen) != len(sizes) {
		t.Fatalf("Walk reported %d of %d blobs", len(seen), len(sizes))
	}
}

func testConcurrentPuts(t *testing.T, s blob.Store) {
	const writers = 32
	var wg sync.WaitGroup
	ids := make([]string, writers)
	for w := range writers {
		ids[w] = fmt.Sprintf("01JB8ZK6QG3XH4Y7W2N5RC%04d", w)
		wg.Go(func() {
			data := pattern(uint64(w), w*7919%(256<<10))
			if _, err := s.Put(bg, ids[w], bytes.NewReader(data)); err != nil {
				t.Errorf("Put(%s): %v", ids[w], err)
			}
		})
	}
	wg.Wait()
	for w, id := range ids {
		wantContent(t, s, id, pattern(uint64(w), w*7919%(256<<10)))
	}
	wantWalk(t, s, ids...)
}

// testLargeBlob streams 20 MiB from a generator and checks it by hash, so
// the test never holds the blob in memory.
func testLargeBlob(t *testing.T, s blob.Store) {
	size := int64(20 << 20)
	if testing.Short() {
		size = 4 << 20
	}
	gen := func() io.Reader { return io.LimitReader(rand.NewChaCha8(seedBytes(42)), size) }
	h := sha256.New()
	n, err := s.Put(bg, id1, io.TeeReader(gen(), h))
	if err != nil {
		t.Fatal(err)
	}
	if n != size {
		t.Fatalf("Put = %d bytes, want %d", n, size)
	}
	want := h.Sum(nil)

	r, err := s.Open(bg, id1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Size() != size {
		t.Fatalf("Size = %d, want %d", r.Size(), size)
	}
	h.Reset()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		t.Fatal(err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, want) {
		t.Fatalf("sha256 of stored blob = %x, want %x", got, want)
	}
	// A chunk in the middle, compared with the regenerated stream.
	off := size/2 + 12345
	wantChunk := make([]byte, 64<<10)
	g := gen()
	if _, err := io.CopyN(io.Discard, g, off); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(g, wantChunk); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, len(wantChunk))
	if n, err := r.ReadAt(chunk, off); n != len(chunk) || err != nil {
		t.Fatalf("ReadAt(%d) = %d, %v", off, n, err)
	}
	if !bytes.Equal(chunk, wantChunk) {
		t.Fatalf("ReadAt(%d) returned wrong bytes", off)
	}
}

func testValidIDs(t *testing.T, s blob.Store) {
	ids := []string{"a", "Z", "0", "_", "-", "a-b_c", id1, strings.Repeat("x", 128), "01jb8zk6qg3xh4y7w2n5r9t0ab"}
	for _, id := range ids {
		mustPut(t, s, id, []byte(id))
	}
	for _, id := range ids {
		wantContent(t, s, id, []byte(id))
	}
	wantWalk(t, s, ids...)
}

func testInvalidIDs(t *testing.T, s blob.Store) {
	bad := []string{
		"", ".", "..", "/", "a/b", "/abs", "../x", "a/../b", "x/..", `a\b`, `..\x`,
		"a\x00b", "a b", "a\nb", "é", strings.Repeat("x", 129), "tmp/x",
	}
	for _, id := range bad {
		if _, err := s.Put(bg, id, strings.NewReader("data")); err == nil || errors.Is(err, blob.ErrExists) {
			t.Errorf("Put(%q) = %v, want an invalid-id error", id, err)
		}
		if r, err := s.Open(bg, id); err == nil {
			r.Close()
			t.Errorf("Open(%q) succeeded, want an error", id)
		}
		if err := s.Delete(bg, id); err == nil {
			t.Errorf("Delete(%q) succeeded, want an error", id)
		}
	}
	wantWalk(t, s)
}
