package bolt

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// Damage to the metadata file.
//
// bbolt never overwrites live pages and fsyncs before a commit counts, so
// a crash alone leaves a consistent file. What damages one is the layer
// below: a disk or filesystem that lost or reordered writes it had
// acknowledged (most likely to show after a power loss or crash), bit rot,
// or a person or program writing into the file. bbolt does not check
// pages as it reads them: a damaged page makes it panic, or read garbage.
//
// So the store keeps a marker file beside the metadata file
// (<path>.open) while it has the file open for writing, and removes it on a
// clean Close. Finding the marker at Open means the last process did not
// close the file: it crashed, was killed, or lost power. Open then runs
// bbolt's full consistency check (every page; seconds per GiB) before
// anything else touches the file, and refuses to open a damaged file. A
// clean restart finds no marker and skips the check, so it stays fast.
//
// Damage found later, while serving, surfaces as a bbolt panic in a
// transaction. View and Update turn such a panic (one raised inside bbolt,
// not in the caller's fn) into an error wrapping ErrDamaged, log it at
// ERROR, count it (Faults) and keep the marker at Close, so the next start
// checks the file. A panic while bbolt commits a group of Updates on its
// own batch goroutine cannot be caught and ends the process; the marker
// is still there, so the restart runs the check.

// ErrDamaged is wrapped by the errors of a metadata file found damaged.
var ErrDamaged = errors.New("metadata file is damaged")

// DamageError is Open's refusal of a damaged metadata file.
type DamageError struct {
	Path     string
	Problems []string // what bbolt's consistency check (or Open) found; capped
	More     int      // problems found beyond those listed
}

func (e *DamageError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s is damaged", e.Path)
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "; and %d more problems", e.More)
	}
	b.WriteString(". Nothing was changed. Restore the data directory (meta.db with the blobs of the same time) from a backup, " +
		"or run `kura fsck --data <dir>` for a full report of what is damaged.")
	return b.String()
}

func (e *DamageError) Unwrap() error { return ErrDamaged }

// maxProblems caps the problems a DamageError lists.
const maxProblems = 10

// Options adjust OpenWith.
type Options struct {
	// ReadOnly opens the file for reading only, with a shared lock (a
	// writer cannot open it meanwhile, another reader can). It neither
	// uses nor leaves the marker and runs no check: call Check.
	ReadOnly bool
	// LockTimeout is how long to wait for the file lock before failing
	// with ErrLocked (0: 2s).
	LockTimeout time.Duration
	// Logger receives the check at start and damage met while serving
	// (nil: slog.Default()).
	Logger *slog.Logger
}

// MarkerPath is the marker file that exists while path is open for
// writing.
func MarkerPath(path string) string { return path + ".open" }

// openDB opens the bbolt file, turning what bbolt reports about a damaged
// file (an error, or a panic while it reads the meta or freelist pages)
// into a DamageError.
func openDB(path string, opts *bbolt.Options) (db *bbolt.DB, err error) {
	defer func() {
		if p := recover(); p != nil {
			if !panicFromBbolt() {
				panic(p)
			}
			db, err = nil, &DamageError{Path: path, Problems: []string{fmt.Sprintf("opening it failed: %v", p)}}
		}
	}()
	db, err = bbolt.Open(path, 0o600, opts)
	if errors.Is(err, bberrors.ErrInvalid) || errors.Is(err, bberrors.ErrChecksum) {
		return nil, &DamageError{Path: path, Problems: []string{err.Error()}}
	}
	return db, err
}

// startChecked runs the consistency check if the marker says the file was
// not closed cleanly, then makes sure the marker exists before the first
// write.
func (s *Store) startChecked(path string) error {
	marker := MarkerPath(path)
	_, err := os.Stat(marker)
	switch {
	case err == nil:
		size := int64(0)
		if fi, err := os.Stat(path); err == nil {
			size = fi.Size()
		}
		s.log.Warn("meta.db was not closed cleanly (crash, kill or power loss): checking it before use", "path", path, "bytes", size)
		start := time.Now()
		problems, more, err := s.check(maxProblems)
		if err != nil {
			return fmt.Errorf("meta/bolt: checking %s: %w", path, err)
		}
		if len(problems) > 0 {
			return &DamageError{Path: path, Problems: problems, More: more}
		}
		s.log.Info("meta.db is consistent", "path", path, "took", time.Since(start).Round(time.Millisecond))
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return createMarker(marker)
	default:
		return fmt.Errorf("meta/bolt: %w", err)
	}
}

// createMarker creates the marker durably: it must be on disk before the
// first commit, or a crash could leave damage that the next start does not
// look for.
func createMarker(marker string) error {
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("meta/bolt: create %s: %w", marker, err)
	}
	_, err = fmt.Fprintf(f, "pid %d: this file exists while a process has meta.db open; found at start, it means that process did not close it and meta.db is checked\n", os.Getpid())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(filepath.Dir(marker))
	}
	if err != nil {
		os.Remove(marker)
		return fmt.Errorf("meta/bolt: create %s: %w", marker, err)
	}
	return nil
}

// Check runs bbolt's consistency check over the whole file: every page
// reachable exactly once, freelist and tree agreeing, keys in order. It
// returns up to max problems (0: all) and how many more there were. It
// reads every page, and must not run while another process or goroutine
// writes: use it on a store opened ReadOnly, or before serving.
func (s *Store) Check(max int) (problems []string, more int, err error) {
	return s.check(max)
}

func (s *Store) check(max int) (problems []string, more int, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		for e := range tx.Check() {
			if max > 0 && len(problems) >= max {
				more++
				continue
			}
			problems = append(problems, e.Error())
		}
		return nil
	})
	return problems, more, err
}

// Faults is how many transactions met a damaged page (a panic inside
// bbolt) since the store was opened.
func (s *Store) Faults() int64 { return s.faults.Load() }

// recoverDamage, deferred around a transaction, turns a panic raised inside
// bbolt into an error wrapping ErrDamaged, logs and counts it, and keeps
// the marker so the next start checks the file. A panic from anywhere else
// (a bug in the caller's fn) goes on unchanged.
func (s *Store) recoverDamage(err *error) {
	p := recover()
	if p == nil {
		return
	}
	if !panicFromBbolt() {
		panic(p)
	}
	s.damaged(p)
	*err = fmt.Errorf("meta/bolt: %w: %v", ErrDamaged, p)
}

func (s *Store) damaged(p any) {
	s.faults.Add(1)
	s.suspect.Store(true)
	s.log.Error("meta.db is damaged: bbolt failed reading a page; this request failed, the file will be checked at the next start. "+
		"Stop the server, copy the data directory, run `kura fsck` and restore from a backup if it reports damage",
		"path", s.path, "panic", fmt.Sprint(p))
}

// panicFromBbolt reports whether the panic being recovered was raised in
// bbolt's code (a damaged page) rather than elsewhere. It must be called
// from the deferred function that recovers: the panicking frames are still
// on the stack then, below runtime.gopanic.
func panicFromBbolt() bool {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	inPanic := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			inPanic = true
		case inPanic && strings.HasPrefix(f.Function, "runtime."):
			// runtime.panicmem, sigpanic, goPanicIndex…: the panic's cause
		case inPanic:
			return strings.HasPrefix(f.Function, "go.etcd.io/bbolt")
		}
		if !more {
			return false
		}
	}
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
