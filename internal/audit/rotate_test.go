package audit

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// collect returns every event Query yields from dir.
func collect(t *testing.T, dir string, f Filter) []Event {
	t.Helper()
	var out []Event
	if err := Query(dir, f, func(ev Event) error { out = append(out, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRotationKeepsEveryLineWhole(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(PathIn(dir), Options{MaxBytes: 4 << 10, SyncInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 8, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				ev := Event{EventName: fmt.Sprintf("g%d-%d", g, i)}
				if i%50 == 7 { // now and then an event larger than MaxBytes
					ev.RequestParameters = map[string]any{"policy": strings.Repeat("p", 6<<10)}
				}
				if err := l.Append(ev); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	rotated, err := rotatedFiles(DirIn(dir), PathIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(rotated) < 10 {
		t.Fatalf("only %d rotated files for ~%d KiB of events", len(rotated), goroutines*each/4)
	}
	// Every file holds whole lines only and stays within MaxBytes unless it
	// is a single oversized event.
	files := append([]string{}, PathIn(dir))
	for _, r := range rotated {
		files = append(files, r.path)
		if fi, _ := os.Stat(r.path); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v", r.name, fi.Mode().Perm())
		}
	}
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) > 0 && raw[len(raw)-1] != '\n' {
			t.Errorf("%s ends mid-line", filepath.Base(p))
		}
		if lines := bytes.Count(raw, []byte("\n")); len(raw) > 4<<10 && lines != 1 {
			t.Errorf("%s: %d bytes in %d lines, over MaxBytes", filepath.Base(p), len(raw), lines)
		}
	}

	evs := collect(t, DirIn(dir), Filter{})
	if len(evs) != goroutines*each {
		t.Fatalf("%d events, want %d", len(evs), goroutines*each)
	}
	seen := map[string]bool{}
	last := map[string]int{} // per goroutine, events come back in append order
	for _, ev := range evs {
		if seen[ev.EventName] {
			t.Fatalf("duplicate %s", ev.EventName)
		}
		seen[ev.EventName] = true
		var g, i int
		fmt.Sscanf(ev.EventName, "g%d-%d", &g, &i)
		if prev, ok := last[fmt.Sprint(g)]; ok && i <= prev {
			t.Fatalf("g%d: event %d after %d", g, i, prev)
		}
		last[fmt.Sprint(g)] = i
	}
}

func TestRotatedNamesAreMonotonic(t *testing.T) {
	dir := t.TempDir()
	frozen := time.Date(2026, 5, 20, 19, 46, 16, 0, time.UTC)
	opts := Options{MaxBytes: 1, SyncInterval: -1, Now: func() time.Time { return frozen }}
	l, err := Open(PathIn(dir), opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := l.Append(Event{EventName: fmt.Sprint("E", i)}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	// A restart with the clock set back still names files after the last.
	opts.Now = func() time.Time { return frozen.Add(-time.Hour) }
	if l, err = Open(PathIn(dir), opts); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Event{EventName: "E4"}); err != nil {
		t.Fatal(err)
	}
	l.Close()

	rotated, _ := rotatedFiles(DirIn(dir), PathIn(dir))
	var names []string
	for _, r := range rotated {
		names = append(names, r.name)
	}
	want := []string{
		"events-20260520T194616.000000000Z.jsonl",
		"events-20260520T194616.000000001Z.jsonl",
		"events-20260520T194616.000000002Z.jsonl",
		"events-20260520T194616.000000003Z.jsonl",
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("rotated files %v, want %v", names, want)
	}
	var got []string
	for _, ev := range collect(t, DirIn(dir), Filter{}) {
		got = append(got, ev.EventName)
	}
	if strings.Join(got, " ") != "E0 E1 E2 E3 E4" {
		t.Fatalf("events in order %v", got)
	}
}

func TestOpenRotatesATornFile(t *testing.T) {
	dir := t.TempDir()
	path := PathIn(dir)
	os.MkdirAll(filepath.Dir(path), 0o700)
	if err := os.WriteFile(path, []byte("{\"eventName\":\"A\"}\n{\"eventName\":\"B"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Open(path, Options{SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Event{EventName: "C"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	var got []string
	for _, ev := range collect(t, DirIn(dir), Filter{}) {
		got = append(got, ev.EventName)
	}
	if strings.Join(got, " ") != "A C" {
		t.Fatalf("events %v, want A C (the torn B dropped, C whole)", got)
	}
	if rotated, _ := rotatedFiles(DirIn(dir), path); len(rotated) != 1 {
		t.Fatalf("%d rotated files, want the torn one kept", len(rotated))
	}
}
