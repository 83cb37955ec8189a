package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Progress on long work (batch --watch, fsck, bench): one bar drawing
// (barOf) on one line of stderr redrawn in place (liveLine), only on a
// terminal.

// isTerminal reports whether w is a character device (a terminal), where
// a progress bar belongs; not a file or a pipe.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressWanted says whether a command draws a progress bar on errw:
// only when its output and errw are a terminal (a person watching), and
// never for --json output, which a program reads.
func progressWanted(asJSON bool, out, errw io.Writer) bool {
	return !asJSON && isTerminal(out) && isTerminal(errw)
}

// barOf is "[#####-----]" for a fraction done, in width columns.
func barOf(frac float64, width int) string {
	frac = min(max(frac, 0), 1)
	fill := int(frac * float64(width))
	return "[" + strings.Repeat("#", fill) + strings.Repeat("-", width-fill) + "]"
}

// liveLine is a line of a terminal redrawn in place. Output written
// through passThrough while it is shown first clears it, then draws it
// again below, whole lines at a time, so a table printed on stdout and
// the bar on stderr of the same terminal do not mix.
type liveLine struct {
	mu      sync.Mutex
	w       io.Writer
	line    string
	drew    bool
	through []*clearingWriter
}

func (l *liveLine) set(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.line = line
	fmt.Fprintf(l.w, "\r%s\x1b[K", line)
	l.drew = true
}

// finish ends the line, leaving the last drawing on screen, then writes
// out what passThrough still holds.
func (l *liveLine) finish() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.drew {
		fmt.Fprintln(l.w)
	}
	l.drew, l.line = false, ""
	for _, c := range l.through {
		c.flush(len(c.buf)) // an unfinished line, below the bar
	}
}

// passThrough is dst, written a whole line at a time with the live line
// cleared before and drawn again after.
func (l *liveLine) passThrough(dst io.Writer) io.Writer {
	c := &clearingWriter{l: l, dst: dst}
	l.mu.Lock()
	l.through = append(l.through, c)
	l.mu.Unlock()
	return c
}

type clearingWriter struct {
	l   *liveLine
	dst io.Writer
	buf []byte
}

func (c *clearingWriter) Write(p []byte) (int, error) {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	c.buf = append(c.buf, p...)
	if i := bytes.LastIndexByte(c.buf, '\n'); i >= 0 {
		if err := c.flush(i + 1); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// flush writes the first n bytes held; the caller holds l.mu.
func (c *clearingWriter) flush(n int) error {
	if n == 0 {
		return nil
	}
	if c.l.drew {
		fmt.Fprint(c.l.w, "\r\x1b[K")
	}
	_, err := c.dst.Write(c.buf[:n])
	c.buf = append(c.buf[:0], c.buf[n:]...)
	if c.l.drew {
		fmt.Fprintf(c.l.w, "\r%s\x1b[K", c.l.line)
	}
	return err
}

// progressBar draws "[#####-----]  45%  2.5 GiB / 5.6 GiB" (fsck), at
// most ten times a second.
type progressBar struct {
	line *liveLine
	last time.Time
}

func (b *progressBar) update(done, total int64) {
	if now := time.Now(); now.Sub(b.last) >= 100*time.Millisecond || done == total {
		b.last = now
		frac := 1.0
		if total > 0 {
			frac = float64(done) / float64(total)
		}
		b.line.set(fmt.Sprintf("%s %3.0f%%  %s / %s", barOf(frac, 30), min(frac, 1)*100, byteSize(done), byteSize(total)))
	}
}

func (b *progressBar) finish() {
	if b != nil {
		b.line.finish()
	}
}

// benchLine is bench's progress: the timed phases run one after the
// other for --duration each, so the time since the start tells how far
// the run is (setup and cleanup are not counted).
func benchLine(elapsed, phase time.Duration, phases int) string {
	total := phase * time.Duration(phases)
	frac := 1.0
	if total > 0 {
		frac = min(float64(elapsed)/float64(total), 1)
	}
	n := min(int(elapsed/max(phase, 1))+1, phases)
	left := max(total-elapsed, 0).Round(time.Second)
	return fmt.Sprintf("%s %3.0f%%  phase %d/%d  about %s left", barOf(frac, 30), frac*100, n, phases, left)
}
