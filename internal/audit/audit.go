// Package audit keeps Kura's audit trail: CloudTrail-shaped events, one JSON
// object per line, appended to a file that is only ever appended to.
//
// audit records who did what to which resource and how it ended. It must
// never record secrets: no object data, no KMS plaintext or ciphertext, no
// key material, no SSE-C keys, no secret access keys. Producers are
// responsible for what they put in an Event; audit writes it verbatim.
//
// Durability: every Append hands its line to the kernel in a single write
// on an O_APPEND descriptor before it returns (no user-space buffering), so
// events survive a crash of the process. fsync is batched: a background
// goroutine syncs the file at most every SyncInterval (100ms by default) when
// something was written, and Close syncs once more. A power loss can
// therefore lose the events of the last SyncInterval, except those of
// changes recorded in the outbox, whose entries are cleared only after the
// sync; Sync forces them out.
//
// Gaps: an event is appended after the operation it records, so a process
// that stops in between would lose the event of a change it made. The
// outbox closes that gap (pending.go, outbox.go, recover.go): an operation
// begins a Pending, carries it in its context, and every metadata change
// made with that context stores the event as known so far in the same
// transaction; Finish appends the final event, and Outbox.Recover ships,
// at the next start, the events that never made it to the trail.
//
// Rotation: when the current file would grow past Options.MaxBytes, it is
// renamed to events-<UTC timestamp>.jsonl and a new events.jsonl is started.
// Rotated files are never deleted or changed; Query and Follow read them, in
// order, before the current file.
package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// EventVersion is the CloudTrail event version Kura writes.
const EventVersion = "1.11"

// DefaultSyncInterval is how often a Log fsyncs when events were written.
const DefaultSyncInterval = 100 * time.Millisecond

// Event is one audit record, shaped and spelled like a CloudTrail event so
// that existing tooling can read it. See docs/formats.md ("Audit log").
type Event struct {
	EventVersion        string         `json:"eventVersion"`
	UserIdentity        UserIdentity   `json:"userIdentity"`
	EventTime           time.Time      `json:"eventTime"` // UTC, whole seconds
	EventSource         string         `json:"eventSource"`
	EventName           string         `json:"eventName"`
	AWSRegion           string         `json:"awsRegion"`
	SourceIPAddress     string         `json:"sourceIPAddress,omitempty"`
	UserAgent           string         `json:"userAgent,omitempty"`
	ErrorCode           string         `json:"errorCode,omitempty"`
	ErrorMessage        string         `json:"errorMessage,omitempty"`
	RequestParameters   map[string]any `json:"requestParameters"`
	ResponseElements    map[string]any `json:"responseElements"`
	AdditionalEventData map[string]any `json:"additionalEventData,omitempty"`
	RequestID           string         `json:"requestID,omitempty"`
	EventID             string         `json:"eventID"`
	ReadOnly            bool           `json:"readOnly"`
	Resources           []Resource     `json:"resources,omitempty"`
	EventType           string         `json:"eventType"`
	ManagementEvent     bool           `json:"managementEvent"`
	RecipientAccountID  string         `json:"recipientAccountId,omitempty"`
	EventCategory       string         `json:"eventCategory"`
	TLSDetails          *TLSDetails    `json:"tlsDetails,omitempty"`

	line []byte // as read by Query or Follow; see Line
}

// TLSDetails describes the TLS connection a request arrived on.
type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion"`  // e.g. TLSv1.3
	CipherSuite              string `json:"cipherSuite"` // IANA name, e.g. TLS_AES_128_GCM_SHA256
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader,omitempty"`
}

// UserIdentity is the principal an event is attributed to. InvokedBy names
// the service that called on the principal's behalf (e.g.
// "s3.amazonaws.com" for SSE-KMS calls S3 makes for a user).
type UserIdentity struct {
	Type        string `json:"type,omitempty"` // Root, IAMUser, AssumedRole, AWSService, ...
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	InvokedBy   string `json:"invokedBy,omitempty"`
}

// Resource is a resource an event touched.
type Resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type,omitempty"` // e.g. AWS::KMS::Key
}

// DefaultMaxBytes is the size past which a Log starts a new file.
const DefaultMaxBytes = 64 << 20

// Options tune a Log.
type Options struct {
	// SyncInterval bounds how long an appended event may stay unsynced; 0
	// means DefaultSyncInterval, a negative value fsyncs on every Append.
	SyncInterval time.Duration
	// MaxBytes is the size a file may reach before the Log rotates it; 0
	// means DefaultMaxBytes. A single event longer than MaxBytes still goes
	// whole into one file.
	MaxBytes int64
	// Now stamps rotated file names; nil means time.Now.
	Now func() time.Time
}

// Log is an append-only event file. It is safe for concurrent use. A nil
// *Log discards events, so components can run without an audit trail in
// tests.
type Log struct {
	path string
	max  int64
	now  func() time.Time
	mu   sync.Mutex
	f    *os.File
	size int64     // bytes in f
	last time.Time // stamp of the newest rotated file
	// written counts appended events; synced is the count known to be on
	// stable storage. Sync waits until synced covers what it saw written.
	written, synced uint64
	closed          bool
	every           time.Duration
	stop            chan struct{}
	done            chan struct{}
	synErr          error    // last background fsync failure, reported by the next Append
	outbox          *Outbox  // attached by NewOutbox, for Pending.Stage
	cluster         *Cluster // attached by NewCluster: exports every appended event
	failures        atomic.Int64
}

// WriteFailures is how many events could not be appended (or synced)
// since the log was opened; each was logged by its caller, and an event
// of a change is shipped from the outbox at the next start.
func (l *Log) WriteFailures() int64 { return l.failures.Load() }

// CurrentName is the name of the file events are appended to; rotated files
// are named events-<stamp>.jsonl next to it.
const CurrentName = "events.jsonl"

// PathIn returns the audit log path inside a data directory:
// <dataDir>/audit/events.jsonl.
func PathIn(dataDir string) string {
	return filepath.Join(DirIn(dataDir), CurrentName)
}

// DirIn returns the audit directory inside a data directory, the one Query
// and Follow read.
func DirIn(dataDir string) string {
	return filepath.Join(dataDir, "audit")
}

// Open opens (creating if needed) the event file at path for appending. The
// directory is created 0700 and the file 0600; an existing file keeps its
// content and events are added after it. If the file ends in a line cut
// short by a crash, it is rotated first, so that the next event does not
// join the torn line (readers ignore a torn last line of a file).
func Open(path string, opts Options) (*Log, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit: create directory: %w", err)
	}
	l := &Log{path: path, max: opts.MaxBytes, now: opts.Now, every: opts.SyncInterval}
	if l.max <= 0 {
		l.max = DefaultMaxBytes
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.every == 0 {
		l.every = DefaultSyncInterval
	}
	rotated, err := rotatedFiles(filepath.Dir(path), path)
	if err != nil {
		return nil, err
	}
	if n := len(rotated); n > 0 {
		l.last = rotated[n-1].stamp
	}
	if err := l.openCurrent(); err != nil {
		return nil, err
	}
	if torn, err := endsTorn(l.f, l.size); err != nil || torn {
		if err == nil {
			err = l.rotateLocked()
		}
		if err != nil {
			l.f.Close()
			return nil, err
		}
	}
	if l.every > 0 {
		l.stop = make(chan struct{})
		l.done = make(chan struct{})
		go l.syncLoop()
	}
	return l, nil
}

func (l *Log) openCurrent() error {
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit: open log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit: open log: %w", err)
	}
	l.f, l.size = f, fi.Size()
	return nil
}

// endsTorn reports whether a file of size bytes ends without a newline.
func endsTorn(f *os.File, size int64) (bool, error) {
	if size == 0 {
		return false, nil
	}
	var b [1]byte
	if _, err := f.ReadAt(b[:], size-1); err != nil {
		return false, fmt.Errorf("audit: check last line: %w", err)
	}
	return b[0] != '\n', nil
}

// rotateLocked closes the current file, renames it to its rotated name and
// opens a new current file. The rename happens after the close, so a
// reader that sees the new file knows the old one is complete.
func (l *Log) rotateLocked() error {
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("audit: sync before rotation: %w", err)
	}
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("audit: close before rotation: %w", err)
	}
	l.synced = l.written
	stamp := l.now().UTC()
	if !stamp.After(l.last) {
		// Clock went back or two rotations in one tick: names must still
		// sort in the order the files were written.
		stamp = l.last.Add(time.Nanosecond)
	}
	if err := os.Rename(l.path, rotatedPath(l.path, stamp)); err != nil {
		// Keep appending to the same file rather than lose events.
		if oerr := l.openCurrent(); oerr != nil {
			return errors.Join(fmt.Errorf("audit: rotate: %w", err), oerr)
		}
		return fmt.Errorf("audit: rotate: %w", err)
	}
	l.last = stamp
	if err := l.openCurrent(); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(l.path)); err == nil {
		d.Sync() // make the rename and the new file durable
		d.Close()
	}
	return nil
}

// Append fills in EventVersion, EventID, EventTime, EventType and
// EventCategory when they are empty, and appends ev as one line.
func (l *Log) Append(ev Event) error {
	if l == nil {
		return nil
	}
	_, err := l.append(ev)
	return err
}

// append is Append; it returns the event's position in the log (1 for the
// first appended since Open), which syncedThrough compares against.
func (l *Log) append(ev Event) (uint64, error) {
	pos, err := l.appendEvent(ev)
	if err != nil {
		l.failures.Add(1)
	}
	return pos, err
}

func (l *Log) appendEvent(ev Event) (uint64, error) {
	if ev.EventVersion == "" {
		ev.EventVersion = EventVersion
	}
	if ev.EventID == "" {
		ev.EventID = uuid.NewString()
	}
	if ev.EventTime.IsZero() {
		ev.EventTime = time.Now()
	}
	ev.EventTime = ev.EventTime.UTC().Truncate(time.Second)
	if ev.EventType == "" {
		ev.EventType = "AwsApiCall"
	}
	if ev.EventCategory == "" {
		ev.EventCategory = "Management"
	}
	buf := lineBuffers.Get().(*[]byte)
	line, err := ev.appendJSON((*buf)[:0])
	if err != nil {
		lineBuffers.Put(buf)
		return 0, fmt.Errorf("audit: encode event: %w", err)
	}
	line = append(line, '\n')

	l.mu.Lock()
	defer l.mu.Unlock()
	// The line's buffer goes back to the pool unless the cluster keeps the
	// line to ship it.
	kept := false
	defer func() {
		if !kept && cap(line) <= maxPooledLine {
			*buf = line
			lineBuffers.Put(buf)
		}
	}()
	if l.closed {
		return 0, errors.New("audit: log is closed")
	}
	if err := l.synErr; err != nil {
		l.synErr = nil
		return 0, err
	}
	if l.size > 0 && l.size+int64(len(line)) > l.max {
		if err := l.rotateLocked(); err != nil {
			return 0, err
		}
	}
	// One write per event: with O_APPEND the line lands whole at the end of
	// the file even if another process appends too.
	n, err := l.f.Write(line)
	l.size += int64(n)
	if err != nil {
		return 0, fmt.Errorf("audit: append event: %w", err)
	}
	l.written++
	if l.cluster != nil {
		l.cluster.add(line)
		kept = true
	}
	if l.every < 0 {
		if err := l.f.Sync(); err != nil {
			return l.written, fmt.Errorf("audit: sync log: %w", err)
		}
		l.synced = l.written
	}
	return l.written, nil
}

// lineBuffers holds the buffers events are encoded into for the trail:
// every operation appends one or two events, and a fresh buffer each
// (grown past 1 KiB for most) was a tenth of a re-key's allocated bytes
// (issue 18). A line the cluster keeps is not returned.
var lineBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledLine is the largest buffer returned to lineBuffers, so that one
// huge event does not pin its buffer.
const maxPooledLine = 16 << 10

// attachedOutbox is the Outbox NewOutbox made for l, or nil.
func (l *Log) attachedOutbox() *Outbox {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.outbox
}

// syncedThrough is the position (see append) up to which appended events
// are on stable storage.
func (l *Log) syncedThrough() uint64 {
	if l == nil {
		return ^uint64(0) // no trail: nothing to wait for
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.synced
}

// Sync returns once every event appended before the call is on stable
// storage. It fsyncs unless a background or concurrent sync already
// covered those events, and it does not hold up Appends meanwhile.
func (l *Log) Sync() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	f, target := l.f, l.written
	if l.closed || l.synced >= target {
		l.mu.Unlock()
		return nil
	}
	l.mu.Unlock()
	err := f.Sync()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.synced >= target {
		// A rotation or Close synced the file meanwhile (our f may be
		// closed by now: its error does not matter).
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit: sync log: %w", err)
	}
	l.synced = target
	return nil
}

// syncLocked fsyncs the current file; l.mu is held.
func (l *Log) syncLocked() error {
	if l.closed || l.synced >= l.written {
		return nil
	}
	if err := l.f.Sync(); err != nil {
		return err
	}
	l.synced = l.written
	return nil
}

func (l *Log) syncLoop() {
	defer close(l.done)
	t := time.NewTicker(l.every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			// Sync fsyncs without the lock: appends (one per request)
			// must not wait for the disk.
			if err := l.Sync(); err != nil {
				l.mu.Lock()
				l.synErr = err
				l.mu.Unlock()
			}
		}
	}
}

// Close syncs and closes the file. Appends after Close fail.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	err := l.syncLocked()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.closed = true
	l.mu.Unlock()
	if l.stop != nil {
		close(l.stop)
		<-l.done
	}
	return err
}

// maxLine bounds one event line when reading (key policies can be 128 KiB).
const maxLine = 4 << 20

// Read returns the events in the file at path, oldest first, for which
// filter returns true (all events if filter is nil). A final line without a
// newline (an append cut short by a crash) is ignored.
func Read(path string, filter func(Event) bool) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	return readEvents(f, filter)
}

func readEvents(r io.Reader, filter func(Event) bool) ([]Event, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []Event
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			var long []byte
			long, err = readLong(br, line)
			line = long
		}
		if errors.Is(err, io.EOF) {
			return out, nil // a torn last line is not an event
		}
		if err != nil {
			return out, fmt.Errorf("audit: read line %d: %w", n, err)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil {
			return out, fmt.Errorf("audit: line %d: %w", n, err)
		}
		if filter == nil || filter(ev) {
			out = append(out, ev)
		}
	}
}

func readLong(br *bufio.Reader, first []byte) ([]byte, error) {
	buf := append([]byte(nil), first...)
	for {
		more, err := br.ReadSlice('\n')
		buf = append(buf, more...)
		if len(buf) > maxLine {
			return nil, errors.New("event line too long")
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return buf, err
		}
	}
}
