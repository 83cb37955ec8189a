package bolt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kurastore/kura/internal/meta"
)

var bg = context.Background()

func quietLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// fill writes enough records that the table spans several leaf pages under
// a branch page (a small table would be stored inline in its parent).
func fill(t *testing.T, s *Store) {
	t.Helper()
	if err := s.Update(bg, func(tx meta.Tx) error {
		for i := range 300 {
			if err := tx.Put(meta.TableVersions, fmt.Appendf(nil, "key-%04d", i), bytes.Repeat([]byte{'v'}, 100)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func readKey(s *Store, key string) error {
	return s.View(bg, func(tx meta.Tx) error {
		_, err := tx.Get(meta.TableVersions, []byte(key))
		return err
	})
}

// corruptLeaves overwrites the page type of every leaf page holding needle
// (the live page and any stale copies), as a disk that mangled a page
// would. It returns how many pages it changed.
func corruptLeaves(t *testing.T, path string, needle string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := os.Getpagesize()
	n := 0
	for off := 2 * ps; off+ps <= len(b); off += ps {
		page := b[off : off+ps]
		const leafFlag = 0x02
		if binary.LittleEndian.Uint16(page[8:10]) == leafFlag && bytes.Contains(page, []byte(needle)) {
			binary.LittleEndian.PutUint16(page[8:10], 0x40) // no such page type
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no leaf page of %s holds %q", path, needle)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return n
}

// crashCopy copies an open store's files into a new directory, marker
// included: what a crash (or a kill) leaves on disk.
func crashCopy(t *testing.T, path string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "meta.db")
	for _, p := range []string{path, MarkerPath(path)} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(strings.Replace(p, path, dst, 1), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func TestMarkerLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !exists(MarkerPath(path)) {
		t.Fatal("no marker while the store is open")
	}
	fill(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if exists(MarkerPath(path)) {
		t.Fatal("marker left after a clean Close")
	}
	ro, err := OpenWith(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if exists(MarkerPath(path)) {
		t.Fatal("a read-only open made a marker")
	}
	if problems, more, err := ro.Check(0); err != nil || len(problems) != 0 || more != 0 {
		t.Fatalf("Check of a healthy file = %q, %d, %v", problems, more, err)
	}
	if err := ro.Update(bg, func(meta.Tx) error { return nil }); err == nil {
		t.Fatal("Update on a read-only store succeeded")
	}
	// A reader holds a shared lock: a writer cannot open meanwhile.
	if _, err := open(path, 50e6); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open beside a read-only store = %v, want ErrLocked", err)
	}
	ro.Close()
}

// After an unclean stop the file is checked before use: a damaged one is
// refused with a message that says what to do, and left as it was; an
// intact one opens.
func TestUncleanStopChecksFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fill(t, s)

	intact := crashCopy(t, path)
	var logs bytes.Buffer
	s2, err := OpenWith(intact, Options{Logger: quietLogger(&logs)})
	if err != nil {
		t.Fatalf("Open after an unclean stop of an intact file: %v", err)
	}
	if err := readKey(s2, "key-0150"); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if !strings.Contains(logs.String(), "not closed cleanly") || !strings.Contains(logs.String(), "consistent") {
		t.Fatalf("the check after an unclean stop was not logged:\n%s", logs.String())
	}

	damaged := crashCopy(t, path)
	corruptLeaves(t, damaged, "key-0150")
	before := fileHash(t, damaged)
	_, err = OpenWith(damaged, Options{Logger: quietLogger(io.Discard)})
	var de *DamageError
	if !errors.As(err, &de) || !errors.Is(err, ErrDamaged) {
		t.Fatalf("Open of a damaged file after an unclean stop = %v, want a DamageError", err)
	}
	for _, want := range []string{damaged + " is damaged", "unexpected type", "Nothing was changed", "backup", "kura fsck"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if fileHash(t, damaged) != before {
		t.Fatal("refusing a damaged file changed it")
	}
	if !exists(MarkerPath(damaged)) {
		t.Fatal("refusing a damaged file removed the marker")
	}
	// Still refused on the next try.
	if _, err := OpenWith(damaged, Options{Logger: quietLogger(io.Discard)}); !errors.As(err, &de) {
		t.Fatalf("second Open of the damaged file = %v", err)
	}
}

// Damage met while serving (the file was closed cleanly, so Open did not
// check it) is an error, logged and counted, not a panic; the marker stays
// so the next start checks the file and refuses it.
func TestDamageWhileServing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s)
	s.Close()
	corruptLeaves(t, path, "key-0150")

	var logs bytes.Buffer
	s, err = OpenWith(path, Options{Logger: quietLogger(&logs)})
	if err != nil {
		t.Fatalf("clean restart checked the file: %v", err)
	}
	for range 3 {
		if err := readKey(s, "key-0150"); !errors.Is(err, ErrDamaged) {
			t.Fatalf("read of a damaged page = %v, want ErrDamaged", err)
		}
	}
	err = s.Update(bg, func(tx meta.Tx) error { return tx.Put(meta.TableVersions, []byte("key-0150"), []byte("x")) })
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("write to a damaged page = %v, want ErrDamaged", err)
	}
	if got := s.Faults(); got != 4 {
		t.Fatalf("Faults = %d, want 4", got)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "damaged") {
		t.Fatalf("damage not logged at ERROR:\n%s", logs.String())
	}
	if err := readKey(s, "key-0001"); err != nil && !errors.Is(err, ErrDamaged) {
		t.Fatalf("read of another key = %v", err)
	}
	// A panic of the caller's own fn is not damage: it goes on as a panic.
	func() {
		defer func() {
			if p := recover(); p != "caller bug" {
				t.Fatalf("recovered %v, want the caller's panic", p)
			}
		}()
		s.View(bg, func(meta.Tx) error { panic("caller bug") })
	}()
	s.Close()
	if !exists(MarkerPath(path)) {
		t.Fatal("marker removed although damage was met")
	}
	if _, err := OpenWith(path, Options{Logger: quietLogger(io.Discard)}); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Open after damage was met = %v, want a DamageError", err)
	}
}
