package fs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/blob/blobtest"
)

var bg = context.Background()

func TestSuite(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func put(t *testing.T, s *Store, id, data string) {
	t.Helper()
	if _, err := s.Put(bg, id, strings.NewReader(data)); err != nil {
		t.Fatalf("Put(%s): %v", id, err)
	}
}

func walkIDs(t *testing.T, s *Store) []string {
	t.Helper()
	var ids []string
	if err := s.Walk(bg, func(b blob.Info) error { ids = append(ids, b.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

// tempFiles lists dir/tmp.
func tempFiles(t *testing.T, s *Store) []string {
	t.Helper()
	names, err := readNames(s.tmp)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestLayoutAndPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	s := open(t, dir)
	id := "01JB8ZK6QG3XH4Y7W2N5R9T0AB"
	put(t, s, id, "data")
	_, leaf, file := s.paths(id)
	rel, err := filepath.Rel(dir, file)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	if len(parts) != 3 || len(parts[0]) != 2 || len(parts[1]) != 2 || parts[2] != id {
		t.Fatalf("blob stored at %s, want xx/yy/<id>", rel)
	}
	for _, c := range []struct {
		path string
		want os.FileMode
	}{
		{dir, 0o700 | os.ModeDir},
		{filepath.Join(dir, tmpDirName), 0o700 | os.ModeDir},
		{filepath.Dir(leaf), 0o700 | os.ModeDir},
		{leaf, 0o700 | os.ModeDir},
		{file, 0o600},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode(); got&^c.want != 0 { // the umask may only remove bits
			t.Errorf("mode of %s = %v, want at most %v", c.path, got, c.want)
		}
	}
	if n := tempFiles(t, s); len(n) != 0 {
		t.Errorf("temp files left after Put: %q", n)
	}
}

func TestFanoutSpreadsTimePrefixedIDs(t *testing.T) {
	// Blob ids minted in the same second share their first 16
	// characters (the time); the hash fan-out must still spread them.
	s := &Store{dir: "/x"}
	leaves := map[string]bool{}
	for i := range 1000 {
		_, leaf, _ := s.paths(fmt.Sprintf("20261206T173000-%032x", i))
		leaves[leaf] = true
	}
	if len(leaves) < 900 {
		t.Fatalf("1000 ids minted in one second landed in %d leaf directories", len(leaves))
	}
}

func TestInvalidIDError(t *testing.T) {
	s := open(t, t.TempDir())
	for _, err := range []error{
		func() error { _, err := s.Put(bg, "../escape", strings.NewReader("x")); return err }(),
		func() error { _, err := s.Open(bg, "a/b"); return err }(),
		s.Delete(bg, ""),
	} {
		if !errors.Is(err, ErrInvalidID) {
			t.Errorf("error = %v, want ErrInvalidID", err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.Dir()), "escape")); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("Put(../escape) wrote outside the store: %v", err)
	}
}

func TestFailedPutLeavesNoTempFile(t *testing.T) {
	s := open(t, t.TempDir())
	r := io.MultiReader(strings.NewReader("partial"), iotestErr{})
	if _, err := s.Put(bg, "A", r); !errors.Is(err, errRead) {
		t.Fatalf("Put = %v, want the reader's error", err)
	}
	if n := tempFiles(t, s); len(n) != 0 {
		t.Fatalf("temp files left after failed Put: %q", n)
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := s.Put(ctx, "B", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put = %v, want context.Canceled", err)
	}
	if n := tempFiles(t, s); len(n) != 0 {
		t.Fatalf("temp files left after canceled Put: %q", n)
	}
}

var errRead = errors.New("read failed")

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errRead }

// Open removes nothing; RemoveStaleTemp removes leftovers by age, or all of
// them for the directory's sole owner.
func TestRemoveStaleTemp(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	stale := filepath.Join(s.tmp, "A.stale")
	fresh := filepath.Join(s.tmp, "B.fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-StaleTempAge - time.Minute)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	if names := tempFiles(t, s); len(names) != 2 {
		t.Fatalf("temp files after reopening: %q, want both kept", names)
	}
	infos, err := s.TempFiles()
	if err != nil || len(infos) != 2 {
		t.Fatalf("TempFiles = %v, %v; want 2", infos, err)
	}
	for _, in := range infos {
		if in.Size != int64(len("partial")) {
			t.Errorf("TempFiles: %s has size %d", in.ID, in.Size)
		}
		if in.ID == "A.stale" && in.ModTime.Sub(old).Abs() > 2*time.Second {
			t.Errorf("TempFiles: %s has ModTime %v, want %v", in.ID, in.ModTime, old)
		}
	}
	if ids := walkIDs(t, s); len(ids) != 0 {
		t.Errorf("Walk lists temp files: %q", ids)
	}
	n, err := s.RemoveStaleTemp(StaleTempAge)
	if err != nil || n != 1 {
		t.Fatalf("RemoveStaleTemp(StaleTempAge) = %d, %v; want 1, nil", n, err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("stale temp file survived: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
	n, err = s.RemoveStaleTemp(0)
	if err != nil || n != 1 {
		t.Fatalf("RemoveStaleTemp(0) = %d, %v; want 1, nil", n, err)
	}
	if names := tempFiles(t, s); len(names) != 0 {
		t.Fatalf("temp files after RemoveStaleTemp(0): %q", names)
	}
}

func TestPath(t *testing.T) {
	s := open(t, t.TempDir())
	put(t, s, "A", "a")
	p, err := s.Path("A")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "a" {
		t.Fatalf("ReadFile(Path(A)) = %q, %v", b, err)
	}
	if _, err := s.Path("../x"); !errors.Is(err, ErrInvalidID) {
		t.Fatalf("Path(../x) = %v, want ErrInvalidID", err)
	}
}

func TestReopenKeepsBlobs(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	put(t, s, "A", "alpha")
	put(t, s, "B", "beta")
	if err := s.Delete(bg, "B"); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	r, err := s.Open(bg, "A")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	if err != nil || string(got) != "alpha" {
		t.Fatalf("A after reopen = %q, %v", got, err)
	}
	if ids := walkIDs(t, s); !slices.Equal(ids, []string{"A"}) {
		t.Fatalf("Walk after reopen = %q, want [A]", ids)
	}
	if _, err := s.Put(bg, "A", strings.NewReader("again")); !errors.Is(err, blob.ErrExists) {
		t.Fatalf("Put(A) after reopen = %v, want ErrExists", err)
	}
}

func TestWalkIgnoresStrays(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	put(t, s, "A", "a")
	_, leaf, _ := s.paths("A")
	strays := []string{
		filepath.Join(dir, "README"),        // junk at the top
		filepath.Join(dir, "zz", "00", "X"), // not a hex directory
		filepath.Join(leaf, "B"),            // valid id in the wrong directory
		filepath.Join(leaf, "A.bak"),        // not a valid id
		filepath.Join(s.tmp, "C"),           // a temp file named like an id
		filepath.Join(dir, "AB"),            // upper-case "hex" is not ours
	}
	for _, p := range strays {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if ids := walkIDs(t, s); !slices.Equal(ids, []string{"A"}) {
		t.Fatalf("Walk = %q, want [A]", ids)
	}
}

func TestWalkContextCanceled(t *testing.T) {
	s := open(t, t.TempDir())
	put(t, s, "A", "a")
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if err := s.Walk(ctx, func(blob.Info) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Walk = %v, want context.Canceled", err)
	}
}

func TestValidID(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		{"01JB8ZK6QG3XH4Y7W2N5R9T0AB", true},
		{"a", true},
		{"a-b_C9", true},
		{strings.Repeat("a", MaxIDLen), true},
		{strings.Repeat("a", MaxIDLen+1), false},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{`a\b`, false},
		{"a.b", false},
		{"a\x00", false},
		{"ä", false},
	}
	for _, c := range cases {
		if got := ValidID(c.id); got != c.want {
			t.Errorf("ValidID(%q) = %v, want %v", c.id, got, c.want)
		}
	}
}

func BenchmarkPut(b *testing.B) {
	for _, size := range []int{4 << 10, 1 << 20} {
		b.Run(byteSize(size), func(b *testing.B) {
			s, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			data := bytes.Repeat([]byte{0xa5}, size)
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				i++
				id := fmt.Sprintf("01JB8ZK6QG%016d", i)
				if _, err := s.Put(bg, id, bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func byteSize(n int) string {
	if n >= 1<<20 {
		return strconv.Itoa(n>>20) + "MiB"
	}
	return strconv.Itoa(n>>10) + "KiB"
}
