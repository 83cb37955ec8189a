package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestProgressWanted(t *testing.T) {
	// /dev/null is a character device: as a terminal would be.
	tty, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer tty.Close()
	file, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, tc := range []struct {
		name      string
		json      bool
		out, errw io.Writer
		want      bool
	}{
		{"terminal", false, tty, tty, true},
		{"--json on a terminal", true, tty, tty, false},
		{"stdout to a file", false, file, tty, false},
		{"stdout to a pipe or buffer", false, &bytes.Buffer{}, tty, false},
		{"stderr to a file", false, tty, file, false},
	} {
		if got := progressWanted(tc.json, tc.out, tc.errw); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBarAndBenchLine(t *testing.T) {
	for _, tc := range []struct {
		frac float64
		want string
	}{{0, "[----------]"}, {0.5, "[#####-----]"}, {1, "[##########]"}, {1.7, "[##########]"}, {-1, "[----------]"}} {
		if got := barOf(tc.frac, 10); got != tc.want {
			t.Errorf("barOf(%v) = %q, want %q", tc.frac, got, tc.want)
		}
	}
	for _, tc := range []struct {
		elapsed time.Duration
		want    string
	}{
		{0, "[------------------------------]   0%  phase 1/4  about 40s left"},
		{15 * time.Second, "[###########-------------------]  38%  phase 2/4  about 25s left"},
		{45 * time.Second, "[##############################] 100%  phase 4/4  about 0s left"},
	} {
		if got := benchLine(tc.elapsed, 10*time.Second, 4); got != tc.want {
			t.Errorf("benchLine(%s)\n got %q\nwant %q", tc.elapsed, got, tc.want)
		}
	}
}

// Output printed while the bar is shown clears it first and draws it
// again after, so a table and the bar do not mix on one line.
func TestLiveLinePassThrough(t *testing.T) {
	var term bytes.Buffer
	l := &liveLine{w: &term}
	out := l.passThrough(&term)
	io.WriteString(out, "before\n")
	l.set("[##--] 50%")
	// A table is written a cell at a time: it goes out a line at a time.
	io.WriteString(out, "row")
	io.WriteString(out, " 1\nrow 2\n")
	io.WriteString(out, "tail")
	l.set("[####] 100%")
	l.finish()
	want := "before\n" + "\r[##--] 50%\x1b[K" + "\r\x1b[K" + "row 1\nrow 2\n" + "\r[##--] 50%\x1b[K" + "\r[####] 100%\x1b[K" +
		"\n" + "tail"
	if got := term.String(); got != want {
		t.Errorf("terminal got %q\nwant %q", got, want)
	}
	// A progressBar of fsck draws through the same line.
	term.Reset()
	b := &progressBar{line: &liveLine{w: &term}}
	b.update(1<<20, 4<<20)
	b.finish()
	if got := term.String(); !strings.HasPrefix(got, "\r[#######-----------------------]  25%  1.0 MiB / 4.0 MiB") || !strings.HasSuffix(got, "\n") {
		t.Errorf("fsck bar %q", got)
	}
}
