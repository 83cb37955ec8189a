package accesslog

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Spool files are named by the time they were begun, so that they sort
// oldest first, and the name gives the batch's time back.
func TestSpoolNamesSortAndGiveTheirTime(t *testing.T) {
	at := time.Date(2026, 12, 6, 15, 4, 5, 6, time.UTC)
	l, err := New(Config{Dir: t.TempDir(), NodeID: "n1", Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	first := l.curName
	l.mu.Lock()
	if err := l.rotateLocked(); err != nil {
		t.Fatal(err)
	}
	l.mu.Unlock()
	if l.curName <= first {
		t.Fatalf("second spool %q does not sort after %q", l.curName, first)
	}
	if got := spoolTime(first, time.Time{}); !got.Equal(at) {
		t.Errorf("spoolTime(%q) = %v, want %v", first, got, at)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// After Close a record is counted lost, not written (nor a panic).
	l.spool(spooled{Target: "t", Bucket: "b", Line: "x"})
	if l.Stats().SpoolErrors != 1 {
		t.Errorf("stats after a record on a closed spool: %+v", l.Stats())
	}
	names, _ := filepath.Glob(filepath.Join(l.cfg.Dir, "spool-*.jsonl"))
	for _, n := range names {
		if b, _ := os.ReadFile(n); len(b) != 0 {
			t.Errorf("%s holds %q", n, b)
		}
	}
}
