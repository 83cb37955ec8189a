package bolt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/metatest"
)

func TestSuite(t *testing.T) {
	metatest.Run(t, func(t *testing.T, dir string) meta.Store {
		s, err := Open(filepath.Join(dir, "meta.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "meta.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	for _, c := range []struct {
		path string
		want os.FileMode
	}{
		{path, 0o600},
		{filepath.Dir(path), 0o700 | os.ModeDir},
		{filepath.Dir(filepath.Dir(path)), 0o700 | os.ModeDir},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		// The umask can only take permissions away.
		if got := fi.Mode(); got&^c.want != 0 {
			t.Errorf("mode of %s = %v, want at most %v", c.path, got, c.want)
		}
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks are per open file, so a second open in this process
	// stands in for a second process.
	start := time.Now()
	s2, err := open(path, 50*time.Millisecond)
	if err == nil {
		s2.Close()
		t.Fatal("second Open of a locked store succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	t.Logf("locked after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err = open(path, 50*time.Millisecond)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s2.Close()
}

func TestOpenNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	if err := os.WriteFile(path, []byte("this is not a bbolt file, just some text that is long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path); err == nil {
		s.Close()
		t.Fatal("Open of a non-database file succeeded")
	}
}

func TestClosedStore(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	nop := func(meta.Tx) error { return nil }
	if err := s.View(ctx, nop); err == nil {
		t.Error("View on a closed store succeeded")
	}
	if err := s.Update(ctx, nop); err == nil {
		t.Error("Update on a closed store succeeded")
	}
}

func TestEmptyKeyRejected(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Update(context.Background(), func(tx meta.Tx) error {
		return tx.Put(meta.TableSystem, nil, []byte("v"))
	})
	if err == nil {
		t.Fatal("Put of an empty key succeeded")
	}
}
