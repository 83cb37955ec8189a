package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Filter selects events. Zero fields match everything.
type Filter struct {
	Since, Until time.Time // inclusive bounds on eventTime
	EventName    string    // exact, ignoring case
	// Principal matches a substring of userIdentity's ARN, access key id or
	// user name.
	Principal string
	// Bucket matches requestParameters.bucketName or a resource in the
	// bucket (arn:aws:s3:::bucket, arn:aws:s3:::bucket/key).
	Bucket string
	// KeyPrefix matches requestParameters.key.
	KeyPrefix  string
	ErrorsOnly bool
}

// Match reports whether ev passes f.
func (f Filter) Match(ev Event) bool {
	switch {
	case !f.Since.IsZero() && ev.EventTime.Before(f.Since),
		!f.Until.IsZero() && ev.EventTime.After(f.Until),
		f.EventName != "" && !strings.EqualFold(ev.EventName, f.EventName),
		f.ErrorsOnly && ev.ErrorCode == "":
		return false
	}
	if p := f.Principal; p != "" {
		u := ev.UserIdentity
		if !strings.Contains(u.ARN, p) && !strings.Contains(u.AccessKeyID, p) && !strings.Contains(u.UserName, p) {
			return false
		}
	}
	if f.Bucket != "" && !inBucket(ev, f.Bucket) {
		return false
	}
	if f.KeyPrefix != "" {
		k, ok := ev.RequestParameters["key"].(string)
		if !ok || !strings.HasPrefix(k, f.KeyPrefix) {
			return false
		}
	}
	return true
}

func inBucket(ev Event, bucket string) bool {
	if b, _ := ev.RequestParameters["bucketName"].(string); b == bucket {
		return true
	}
	arn := "arn:aws:s3:::" + bucket
	for _, r := range ev.Resources {
		if r.ARN == arn || strings.HasPrefix(r.ARN, arn+"/") {
			return true
		}
	}
	return false
}

// Line returns the JSON line ev was read from by Query or Follow, without
// its newline; nil for an event built in memory.
func (ev Event) Line() []byte { return ev.line }

// Query calls fn, oldest first, for every event in the audit directory dir
// (see DirIn) that f matches: the rotated files in order, then the current
// file. It stops at the first error fn returns and returns it. Events
// appended while Query runs may or may not be seen.
func Query(dir string, f Filter, fn func(Event) error) error {
	w := newWalker(dir, f, fn)
	defer w.close()
	// A pass that saw the current file rotated has not read its successor
	// yet; a few more passes catch up with any realistic rotation rate.
	for range 8 {
		rotated, err := w.step()
		if err != nil || !rotated {
			return err
		}
	}
	return nil
}

// FollowInterval is how often Follow looks for new events.
const FollowInterval = 250 * time.Millisecond

// Follow is Query that does not stop at the end: like tail -f, it keeps
// polling the current file, moves on to the new one when it is rotated, and
// calls fn for each new event f matches until ctx is done (then it returns
// nil) or fn or a read fails.
func Follow(ctx context.Context, dir string, f Filter, fn func(Event) error) error {
	return follow(ctx, dir, f, fn, FollowInterval)
}

func follow(ctx context.Context, dir string, f Filter, fn func(Event) error, every time.Duration) error {
	w := newWalker(dir, f, fn)
	defer w.close()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rotated, err := w.step()
		if err != nil {
			return err
		}
		if rotated {
			continue // open the successor right away
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// walker reads an audit directory in order and keeps its place, so it can
// be stepped again to pick up what was appended or rotated since.
type walker struct {
	dir, current string
	filter       Filter
	fn           func(Event) error
	cur          *lineReader // the current file as it was when opened
	lastRotated  string      // name of the newest rotated file read
}

func newWalker(dir string, f Filter, fn func(Event) error) *walker {
	return &walker{dir: dir, current: filepath.Join(dir, CurrentName), filter: f, fn: fn}
}

func (w *walker) close() {
	if w.cur != nil {
		w.cur.f.Close()
		w.cur = nil
	}
}

// step reads every complete event not read yet. rotated reports that the
// file it was following was rotated during the step, so its successor is
// still unread.
//
// The current file is opened before the rotated files are listed: if it is
// rotated in between, it shows up in the listing (as the same file) and is
// read at its place in the order, never twice and never skipped.
func (w *walker) step() (rotated bool, err error) {
	if w.cur == nil {
		f, err := os.Open(w.current)
		switch {
		case err == nil:
			w.cur = newLineReader(f, w.current)
		case !errors.Is(err, fs.ErrNotExist): // absent: mid-rotation, or no events yet
			return false, fmt.Errorf("audit: %w", err)
		}
	}
	files, err := rotatedFiles(w.dir, w.current)
	if err != nil {
		return false, err
	}
	for _, r := range files {
		if r.name <= w.lastRotated {
			continue
		}
		if w.cur != nil && sameFile(r.path, w.cur.f) {
			// Rotation closes the file before renaming it: it is complete,
			// and what is left after its last newline is a torn line.
			err = w.drain(w.cur)
			w.close()
			rotated = true
		} else {
			err = w.readAll(r.path)
		}
		if err != nil {
			return rotated, err
		}
		w.lastRotated = r.name
	}
	if w.cur != nil {
		return rotated, w.drain(w.cur)
	}
	return rotated, nil
}

func (w *walker) readAll(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	return w.drain(newLineReader(f, path))
}

// drain hands fn every complete line r has now.
func (w *walker) drain(r *lineReader) error {
	for {
		line, err := r.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil {
			return fmt.Errorf("audit: %s line %d: %w", r.name, r.n, err)
		}
		ev.line = line[:len(line)-1]
		if !w.filter.Match(ev) {
			continue
		}
		if err := w.fn(ev); err != nil {
			return err
		}
	}
}

func sameFile(path string, f *os.File) bool {
	a, err := os.Stat(path)
	if err != nil {
		return false
	}
	b, err := f.Stat()
	return err == nil && os.SameFile(a, b)
}

// lineReader yields the complete lines of a file that may still be growing.
type lineReader struct {
	f    *os.File
	name string
	br   *bufio.Reader
	part []byte // the start of a line whose newline has not been written yet
	n    int    // lines returned so far
}

func newLineReader(f *os.File, name string) *lineReader {
	return &lineReader{f: f, name: name, br: bufio.NewReaderSize(f, 64<<10)}
}

// next returns the next complete line, newline included, in a fresh slice;
// io.EOF when there is none yet.
func (r *lineReader) next() ([]byte, error) {
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.part)+len(chunk) > maxLine {
			return nil, fmt.Errorf("audit: %s line %d: event line too long", r.name, r.n+1)
		}
		if err == nil {
			line := append(r.part, chunk...)
			r.part = nil
			r.n++
			return line, nil
		}
		r.part = append(r.part, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("audit: read %s: %w", r.name, err)
	}
}

// stampLayout names rotated files; fixed width, so names sort in time order.
const stampLayout = "20060102T150405.000000000Z"

type rotatedFile struct {
	name, path string
	stamp      time.Time
}

// rotatedPath is the name the current file at path gets when rotated at t:
// events.jsonl → events-<t>.jsonl.
func rotatedPath(path string, t time.Time) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + t.UTC().Format(stampLayout) + ext
}

// rotatedFiles lists the rotated siblings of the current file at current,
// oldest first.
func rotatedFiles(dir, current string) ([]rotatedFile, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: list %s: %w", dir, err)
	}
	base := filepath.Base(current)
	ext := filepath.Ext(base)
	prefix := strings.TrimSuffix(base, ext) + "-"
	var out []rotatedFile
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, ext) {
			continue
		}
		t, err := time.Parse(stampLayout, strings.TrimSuffix(strings.TrimPrefix(name, prefix), ext))
		if err != nil {
			continue // not ours
		}
		out = append(out, rotatedFile{name: name, path: filepath.Join(dir, name), stamp: t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}
