// Package accesslog writes S3 server access logs: for every operation on
// a bucket whose logging is enabled (PutBucketLogging), one line in S3's
// server access log format, delivered in batches as objects into the
// target bucket.
//
// A record is appended to a spool file in the data directory when its
// operation finishes (ops.Record.Finish hands it over: Logger is an
// ops.RecordObserver), with a write(2) of its own, so a process killed
// after an operation finished loses none of its records; the spool is
// fsync'd every second, so a machine that loses power loses at most the
// last second's. Every Interval the current spool file is closed and its
// records delivered, one object per source bucket and target; a file is
// removed only once every record in it was delivered or refused, and
// files left by a stopped process are delivered at the next start. A
// delivery repeated after a crash writes the same keys again.
//
// Log objects are written as the logging service (logging.s3.amazonaws.com)
// for the target bucket's owner, SSE-S3 encrypted, through the object
// service, with an audit event and metrics like any S3 write. The target
// must allow it: a bucket policy allowing logging.s3.amazonaws.com
// s3:PutObject, or an ACL granting the LogDelivery group WRITE. Records
// refused are dropped (and counted), as S3 drops them.
//
// accesslog never imports net/http.
package accesslog

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/metrics"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
)

// ServicePrincipal is the service log objects are written as.
const ServicePrincipal = "logging.s3.amazonaws.com"

// DefaultInterval is how long records are batched before delivery.
const DefaultInterval = 5 * time.Minute

// ConfigTTL is how long a bucket's logging configuration is used before
// it is read again (a change made on this node applies at once).
const ConfigTTL = 10 * time.Second

// Config wires a Logger.
type Config struct {
	// Dir is the spool directory (data/access-logs).
	Dir     string
	Objects *object.Service
	// Policies parses target bucket policies (nil: a cache of its own).
	Policies *policy.Cache
	// CanonicalID maps an account to its canonical user id, the bucket
	// owner field (nil: the account id is written).
	CanonicalID func(ctx context.Context, account string) (string, error)
	Audit       *audit.Log       // the deliveries' events; nil: none
	Metrics     metrics.Observer // the deliveries' figures; nil: none
	Region      string
	Logger      *slog.Logger
	// Interval is the batch window (0: DefaultInterval).
	Interval time.Duration
	// NodeID is written into spool file names (which process wrote them).
	NodeID string
	Now    func() time.Time
}

// Logger spools and delivers server access logs. It is safe for
// concurrent use.
type Logger struct {
	cfg Config

	mu      sync.Mutex
	cur     *os.File // the spool file records are appended to
	curName string
	lastNS  int64 // the time in curName
	dirty   bool  // written since the last fsync

	cacheMu sync.Mutex
	cache   map[string]cached

	deliverMu sync.Mutex // one delivery at a time

	statsMu sync.Mutex
	stats   Stats
}

// Stats counts what the Logger did since it started.
type Stats struct {
	Records, Delivered, Dropped, Objects int64
	// SpoolErrors counts records lost before the spool: its write failed,
	// or the bucket's configuration could not be read.
	SpoolErrors int64
}

type cached struct {
	logging *kura.BucketLogging
	owner   string // account id
	ownerID string // canonical id, the bucket owner field
	at      time.Time
}

// spooled is one record as the spool keeps it: the line and where it goes.
type spooled struct {
	Target      string    `json:"t"`
	Prefix      string    `json:"p,omitempty"`
	Partitioned bool      `json:"pp,omitempty"`
	DateSource  string    `json:"ds,omitempty"`
	Bucket      string    `json:"b"`
	Account     string    `json:"a"`
	Time        time.Time `json:"tm"`
	Line        string    `json:"l"`
}

// New opens the spool directory and begins a spool file.
func New(cfg Config) (*Logger, error) {
	if cfg.Policies == nil {
		cfg.Policies = &policy.Cache{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("access logs: %w", err)
	}
	l := &Logger{cfg: cfg, cache: map[string]cached{}}
	// A file left by an earlier process sorts before this one's, whatever
	// the clock did since, so it is delivered.
	if old, err := filepath.Glob(filepath.Join(cfg.Dir, "spool-*.jsonl")); err == nil {
		for _, name := range old {
			l.lastNS = max(l.lastNS, spoolTime(filepath.Base(name), time.Time{}).UnixNano())
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.rotateLocked(); err != nil {
		return nil, err
	}
	return l, nil
}

// Observer returns next with the Logger seeing every finished operation
// (ops.RecordObserver).
func (l *Logger) Observer(next metrics.Observer) metrics.Observer {
	return observer{next: next, l: l}
}

type observer struct {
	next metrics.Observer
	l    *Logger
}

func (o observer) Observe(op metrics.Op, kms int64) {
	if o.next != nil {
		o.next.Observe(op, kms)
	}
}

func (o observer) ObserveRecord(r *ops.Record) { o.l.ObserveRecord(r) }

// Stats is what the Logger did since it started.
func (l *Logger) Stats() Stats {
	l.statsMu.Lock()
	defer l.statsMu.Unlock()
	return l.stats
}

func (l *Logger) count(f func(s *Stats)) {
	l.statsMu.Lock()
	f(&l.stats)
	l.statsMu.Unlock()
}

// ObserveRecord spools the record of a finished S3 operation on a bucket
// whose logging is enabled.
func (l *Logger) ObserveRecord(r *ops.Record) {
	if r.EventSource != "s3.amazonaws.com" {
		return
	}
	bucket, _ := r.RequestParameters["bucketName"].(string)
	if bucket == "" {
		return
	}
	ctx := context.Background()
	if r.Name == "PutBucketLogging" || r.Name == "DeleteBucket" || r.Name == "CreateBucket" {
		l.forget(bucket)
	}
	c, ok := l.config(ctx, bucket)
	if !ok {
		// The bucket's configuration could not be read: if it logs, this
		// record is lost (counted; the metadata store's failure is
		// reported by the request itself).
		l.count(func(s *Stats) { s.SpoolErrors++ })
		return
	}
	if c.logging == nil {
		return
	}
	e := entryOf(r, bucket, c.ownerID)
	l.spoolEntries(c, append([]Entry{e}, batchDeletes(e, r.Deleted)...))
}

// ObserveLifecycle spools the record of a lifecycle action, given its
// audit event (lifecycle.Config.Observe), when the bucket logs. S3 logs
// lifecycle actions as operations of their own (S3.EXPIRE.OBJECT,
// S3.CREATE.DELETEMARKER, S3.TRANSITION*.OBJECT, S3.DELETE.UPLOAD),
// requested by AmazonS3 from no address, with no request line, status or
// timing; the request id is the audit event's id, to find one from the
// other.
func (l *Logger) ObserveLifecycle(ev audit.Event) {
	bucket, _ := ev.RequestParameters["bucketName"].(string)
	op, _ := ev.AdditionalEventData["operation"].(string)
	if bucket == "" || op == "" {
		return
	}
	c, ok := l.config(context.Background(), bucket)
	if !ok {
		l.count(func(s *Stats) { s.SpoolErrors++ })
		return
	}
	if c.logging == nil {
		return
	}
	e := lifecycleEntry(ev, bucket, op, c.ownerID)
	l.spoolEntries(c, []Entry{e})
}

// spoolEntries spools records of bucket (configuration c), in order.
func (l *Logger) spoolEntries(c cached, es []Entry) {
	lg := c.logging
	for _, e := range es {
		l.spool(spooled{Target: lg.TargetBucket, Prefix: lg.TargetPrefix, Partitioned: lg.PartitionedPrefix, DateSource: lg.PartitionDateSource,
			Bucket: e.Bucket, Account: c.owner, Time: e.Time.UTC(), Line: e.Line()})
	}
}

// spool appends one record to the current spool file, with a write of
// its own.
func (l *Logger) spool(rec spooled) {
	b, err := json.Marshal(rec)
	if err != nil {
		return
	}
	b = append(b, '\n')
	l.mu.Lock()
	if l.cur == nil {
		err = errors.New("the spool is closed (the server is stopping)")
	} else {
		_, err = l.cur.Write(b)
		l.dirty = true
	}
	l.mu.Unlock()
	if err != nil {
		l.count(func(s *Stats) { s.SpoolErrors++ })
		l.cfg.Logger.Error("access logs: a record could not be spooled; it is lost", "bucket", rec.Bucket, "err", err)
		return
	}
	l.count(func(s *Stats) { s.Records++ })
}

// config is the bucket's logging configuration and owner, from a cache
// entry younger than ConfigTTL.
func (l *Logger) config(ctx context.Context, bucket string) (cached, bool) {
	now := l.cfg.Now()
	l.cacheMu.Lock()
	c, ok := l.cache[bucket]
	l.cacheMu.Unlock()
	if ok && now.Sub(c.at) < ConfigTTL {
		return c, true
	}
	b, err := l.cfg.Objects.Bucket(ctx, bucket)
	switch {
	case s3err.Is(err, s3err.NoSuchBucket):
		c = cached{at: now} // nothing to log, for a while
	case err != nil:
		return cached{}, false // a failed read: this record is not logged
	default:
		c = cached{logging: b.Logging, owner: b.Owner, ownerID: b.Owner, at: now}
		if b.Logging != nil && l.cfg.CanonicalID != nil {
			if cid, err := l.cfg.CanonicalID(ctx, b.Owner); err == nil && cid != "" {
				c.ownerID = cid
			}
		}
	}
	l.cacheMu.Lock()
	if len(l.cache) > 10000 {
		clear(l.cache)
	}
	l.cache[bucket] = c
	l.cacheMu.Unlock()
	return c, true
}

func (l *Logger) forget(bucket string) {
	l.cacheMu.Lock()
	delete(l.cache, bucket)
	l.cacheMu.Unlock()
}

// rotateLocked closes the current spool file and begins another.
func (l *Logger) rotateLocked() error {
	if l.cur != nil {
		if err := l.cur.Sync(); err != nil {
			l.cfg.Logger.Warn("access logs: syncing the spool failed", "file", l.curName, "err", err)
		}
		l.cur.Close()
	}
	// Names sort in the order the files were begun, even if the clock
	// stands still or steps back.
	ns := max(l.cfg.Now().UnixNano(), l.lastNS+1)
	l.lastNS = ns
	name := fmt.Sprintf("spool-%020d-%s.jsonl", ns, l.cfg.NodeID)
	f, err := os.OpenFile(filepath.Join(l.cfg.Dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("access logs: %w", err)
	}
	l.cur, l.curName, l.dirty = f, name, false
	return nil
}

// Sync makes the records spooled so far durable.
func (l *Logger) Sync() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dirty && l.cur != nil {
		if err := l.cur.Sync(); err != nil {
			l.cfg.Logger.Warn("access logs: syncing the spool failed", "file", l.curName, "err", err)
		}
		l.dirty = false
	}
}

// Flush closes the current batch and delivers every spooled record.
func (l *Logger) Flush(ctx context.Context) error {
	l.mu.Lock()
	err := l.rotateLocked()
	closedUpTo := l.curName
	l.mu.Unlock()
	if err != nil {
		return err
	}
	return l.deliverSpool(ctx, closedUpTo)
}

// Run delivers every Interval and syncs the spool every second, until ctx
// ends; it delivers what earlier processes left first.
func (l *Logger) Run(ctx context.Context) {
	if err := l.Flush(ctx); err != nil && ctx.Err() == nil {
		l.cfg.Logger.Warn("access logs: delivery failed; retried at the next batch", "err", err)
	}
	sync := time.NewTicker(time.Second)
	defer sync.Stop()
	batch := time.NewTicker(l.cfg.Interval)
	defer batch.Stop()
	for {
		select {
		case <-ctx.Done():
			l.Sync()
			return
		case <-sync.C:
			l.Sync()
		case <-batch.C:
			if err := l.Flush(ctx); err != nil && ctx.Err() == nil {
				l.cfg.Logger.Warn("access logs: delivery failed; retried at the next batch", "err", err)
			}
		}
	}
}

// Close syncs and closes the spool; its records are delivered at the
// next start.
func (l *Logger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil {
		return nil
	}
	l.cur.Sync()
	err := l.cur.Close()
	l.cur = nil
	return err
}

// deliverSpool delivers the spool files before current (the one being
// written), oldest first.
func (l *Logger) deliverSpool(ctx context.Context, current string) error {
	l.deliverMu.Lock()
	defer l.deliverMu.Unlock()
	names, err := filepath.Glob(filepath.Join(l.cfg.Dir, "spool-*.jsonl"))
	if err != nil {
		return err
	}
	sort.Strings(names)
	var errs []error
	for _, path := range names {
		name := filepath.Base(path)
		if name >= current {
			continue
		}
		if err := l.deliverFile(ctx, path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if err := os.Remove(path); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// batchKey is one log object of a spool file: the records of one source
// bucket for one target (and, partitioned by event time, one day).
type batchKey struct {
	Target, Prefix, DateSource, Bucket, Account string
	Partitioned                                 bool
	Day                                         string
}

// deliverFile delivers one closed spool file. A record that does not
// parse (a torn last line of a killed process) is skipped.
func (l *Logger) deliverFile(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	groups := map[batchKey][]string{}
	var order []batchKey
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var r spooled
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Target == "" {
			continue
		}
		k := batchKey{Target: r.Target, Prefix: r.Prefix, DateSource: r.DateSource, Bucket: r.Bucket, Account: r.Account, Partitioned: r.Partitioned}
		if r.Partitioned && r.DateSource != "DeliveryTime" {
			k.Day = r.Time.UTC().Format("2006-01-02")
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r.Line)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	batchTime := spoolTime(filepath.Base(path), l.cfg.Now())
	var errs []error
	for i, k := range order {
		lines := groups[k]
		key := objectKey(k, l.cfg.Region, batchTime, unique(filepath.Base(path), i))
		err := l.put(ctx, k, key, []byte(strings.Join(lines, "\n")+"\n"))
		switch {
		case err == nil:
			l.count(func(s *Stats) { s.Delivered += int64(len(lines)); s.Objects++ })
		case errors.Is(err, ErrDeliveryDenied):
			l.count(func(s *Stats) { s.Dropped += int64(len(lines)) })
			l.cfg.Logger.Warn("access logs: delivery refused; the records are dropped", "bucket", k.Bucket, "target", k.Target,
				"records", len(lines), "err", err)
		default:
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// spoolTime is the time a spool file was begun, from its name.
func spoolTime(name string, fallback time.Time) time.Time {
	var ns int64
	if _, err := fmt.Sscanf(name, "spool-%020d-", &ns); err != nil || ns == 0 {
		return fallback
	}
	return time.Unix(0, ns)
}
