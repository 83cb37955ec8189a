package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"log/slog"
	"sync"
	"time"

	"github.com/kurastore/kura/internal/meta"
)

// An Outbox keeps the audit trail complete across crashes. Its Store wraps
// the metadata store: an Update made with a Pending in its context that
// writes anything also writes the Pending's event (as known so far) to
// meta.TableAuditOutbox, in the same transaction. Once the final event is
// in the trail (Pending.Finish) and the trail is synced, the entry is
// deleted; deletions are batched, one transaction per clearing interval,
// never one per request. Recover, at start, ships what a stopped process
// left in the outbox.
//
// Recorded: the event of every change committed through Store with a
// Pending in its context. Never recorded here: anything the event must
// not hold anyway (see the package comment); the outbox holds the same
// fields as the trail.
type Outbox struct {
	store meta.Store // the unwrapped store
	log   *Log
	lg    *slog.Logger
	every time.Duration

	// node names this node when the store is shared by several
	// (SetNode): its entries carry it, and Recover leaves other nodes'
	// fresh entries alone. "" on an embedded store: every entry is ours.
	node       string
	staleAfter time.Duration // another node's entry this old is shipped by Recover

	mu      sync.Mutex
	queue   []finished // entries whose operation ended, oldest first
	running bool       // the clearing goroutine was started
	closed  bool
	stop    chan struct{}
	done    chan struct{}
}

// finished is an outbox entry whose operation ended: it may be deleted once
// the trail is synced through pos.
type finished struct {
	key []byte
	pos uint64
}

// maxClearBatch bounds the entries one clearing transaction deletes.
const maxClearBatch = 10000

// ClearInterval is how often an Outbox deletes the entries whose events are
// on stable storage in the trail: one metadata transaction per interval,
// whatever the request rate.
const ClearInterval = time.Second

// NewOutbox returns the outbox of log in store. Entries are cleared in the
// background every ClearInterval once their events are synced by the
// trail's own periodic fsync (no extra fsync of the trail for it). Call
// Recover before serving and Close before closing log and store.
func NewOutbox(store meta.Store, log *Log, logger *slog.Logger) *Outbox {
	if logger == nil {
		logger = slog.Default()
	}
	o := &Outbox{store: store, log: log, lg: logger, every: ClearInterval,
		stop: make(chan struct{}), done: make(chan struct{})}
	if log != nil {
		log.mu.Lock()
		log.outbox = o // for Pending.Stage
		log.mu.Unlock()
	}
	return o
}

// StaleEntry is how old another node's outbox entry must be before
// Recover ships it. A live node clears an entry within a few seconds of
// staging it (its request ends, the trail is synced, ClearInterval), so an
// entry this old belongs to a node that died, or whose clearing has failed
// for that long (the store unreachable).
const StaleEntry = 10 * time.Minute

// SetNode tells the outbox that its store is shared by several nodes and
// names this one; call it before anything is staged. Entries are then
// tagged with node and the time they were staged, and Recover ships only
// this node's entries (whose events it can look up in its own trail) and
// other nodes' entries once they are StaleEntry old: not the entries of
// requests still running or not yet cleared on live nodes, which would
// otherwise be recorded twice (docs/scale-out.md, "Audit trail").
func (o *Outbox) SetNode(node string) {
	o.node = node
	if o.staleAfter == 0 {
		o.staleAfter = StaleEntry
	}
}

// Store returns store wrapped so that every Update made with an unfinished
// Pending in its context that writes something also stages the Pending's
// event in the outbox. Give it to everything that changes metadata on
// behalf of a request or an audited background task.
func (o *Outbox) Store() meta.Store { return &outboxStore{Store: o.store, o: o} }

type outboxStore struct {
	meta.Store
	o *Outbox
}

// Update runs fn; if it wrote anything and ctx carries an unfinished
// Pending, the Pending's intent is put in the same transaction. The intent
// is described and encoded before the transaction, on the caller's
// goroutine, so the store's writer lock is not held for it. fn may run
// more than once (group commit): every run puts the intent afresh, and a
// run after Finish puts nothing.
func (s *outboxStore) Update(ctx context.Context, fn func(meta.Tx) error) error {
	p := PendingFrom(ctx)
	if p == nil || p.done() {
		return s.Store.Update(ctx, fn)
	}
	key, rec, err := p.encodeIntent(s.o)
	if err != nil {
		return err
	}
	return s.Store.Update(ctx, func(tx meta.Tx) error {
		w := &writeTx{Tx: tx}
		if err := fn(w); err != nil || !w.wrote || !p.stage(s.o) {
			return err
		}
		return putOutboxEntry(tx, key, rec)
	})
}

// writeTx notes whether a transaction changed anything. Writes to the
// blob GC queue alone are bookkeeping (deleting the blobs of a version
// already gone), not a change an event records.
type writeTx struct {
	meta.Tx
	wrote bool
}

func (w *writeTx) Put(t meta.Table, key, value []byte) error {
	w.wrote = w.wrote || t != meta.TableBlobGC
	return w.Tx.Put(t, key, value)
}

func (w *writeTx) Delete(t meta.Table, key []byte) error {
	w.wrote = w.wrote || t != meta.TableBlobGC
	return w.Tx.Delete(t, key)
}

// The outbox table, meta.TableAuditOutbox: event id → outbox record. All
// of audit's table access is the four functions below.

// encodeEvent is an outbox record: meta's version byte, then the event as
// the trail would hold it.
func encodeEvent(ev Event) ([]byte, error) {
	// 2 KiB: a typical S3 event is over 1 KiB, and growing the buffer
	// once costs another allocation and a copy.
	return ev.appendJSON(meta.AppendJSONHeader(make([]byte, 0, 2048)))
}

func decodeEvent(b []byte) (Event, error) {
	ev, _, err := decodeEntry(b)
	return ev, err
}

// entryTag is what a shared store's outbox entry says besides its event:
// the node that staged it, and when.
type entryTag struct {
	Node   string    `json:"node"`
	Staged time.Time `json:"staged"`
}

// tagKey is the tag's member in the entry's JSON object. It is not an
// Event field: the event shipped to the trail does not carry it.
const tagKey = "kuraOutbox"

// encodeEntry is an outbox record of ev, tagged with this node on a
// shared store.
func (o *Outbox) encodeEntry(ev Event) ([]byte, error) {
	rec, err := encodeEvent(ev)
	if err != nil || o == nil || o.node == "" {
		return rec, err
	}
	if len(rec) == 0 || rec[len(rec)-1] != '}' {
		return nil, fmt.Errorf("audit: outbox record is not a JSON object")
	}
	tag, err := json.Marshal(entryTag{Node: o.node, Staged: time.Now().UTC()})
	if err != nil {
		return nil, err
	}
	rec = append(rec[:len(rec)-1], `,"`+tagKey+`":`...)
	rec = append(rec, tag...)
	return append(rec, '}'), nil
}

// decodeEntry reads an outbox record: its event and its tag (zero if
// untagged: an embedded store's, or written before tags).
func decodeEntry(b []byte) (Event, entryTag, error) {
	var r struct {
		Event
		Tag entryTag `json:"kuraOutbox"`
	}
	err := meta.Decode(b, &r)
	return r.Event, r.Tag, err
}

func putOutboxEntry(tx meta.Tx, key, rec []byte) error {
	return tx.Put(meta.TableAuditOutbox, key, rec)
}

func deleteOutboxEntries(tx meta.Tx, keys [][]byte) error {
	for _, k := range keys {
		if err := tx.Delete(meta.TableAuditOutbox, k); err != nil {
			return err
		}
	}
	return nil
}

// outboxEntries yields every entry's key (valid only during tx) and event,
// or the error of an entry that does not decode.
func outboxEntries(tx meta.Tx) iter.Seq2[[]byte, eventOrError] {
	return func(yield func([]byte, eventOrError) bool) {
		c := tx.Cursor(meta.TableAuditOutbox)
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			ev, tag, err := decodeEntry(v)
			if !yield(k, eventOrError{ev, tag, err}) {
				return
			}
		}
	}
}

// eventOrError is an outbox entry as read: its event, or why it could not
// be read.
type eventOrError struct {
	Event
	Tag entryTag
	Err error
}

// clear queues an entry to delete once the trail is synced through pos.
func (o *Outbox) clear(key []byte, pos uint64) {
	o.mu.Lock()
	o.queue = append(o.queue, finished{key, pos})
	if !o.running && !o.closed {
		o.running = true
		go o.loop()
	}
	o.mu.Unlock()
}

func (o *Outbox) loop() {
	defer close(o.done)
	t := time.NewTicker(o.every)
	defer t.Stop()
	for {
		select {
		case <-o.stop:
			return
		case <-t.C:
			o.flush() // a failure is logged and retried next tick
		}
	}
}

// flush deletes the queued entries whose events are on stable storage, so
// that an entry is never gone before its event is durable. On failure the
// entries stay queued for the next round (and Recover would not duplicate
// them).
func (o *Outbox) flush() error {
	synced := o.log.syncedThrough()
	o.mu.Lock()
	var keys [][]byte
	rest := o.queue[:0:0]
	for _, f := range o.queue {
		if f.pos <= synced && len(keys) < maxClearBatch {
			keys = append(keys, f.key)
		} else {
			rest = append(rest, f)
		}
	}
	o.queue = rest
	o.mu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	err := o.store.Update(context.Background(), func(tx meta.Tx) error { return deleteOutboxEntries(tx, keys) })
	if err != nil {
		o.lg.Warn("audit: clearing the outbox failed; will retry", "entries", len(keys), "err", err)
		o.mu.Lock()
		for _, k := range keys {
			o.queue = append(o.queue, finished{k, 0})
		}
		o.mu.Unlock()
	}
	return err
}

// Close clears what can be cleared and stops the background clearing.
// Entries of operations still running stay and are dealt with by Recover
// at the next start.
func (o *Outbox) Close() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	running := o.running
	o.mu.Unlock()
	if running {
		close(o.stop)
		<-o.done
	}
	if err := o.log.Sync(); err != nil {
		return err
	}
	// What was queued by now; operations finishing meanwhile may add more,
	// which Recover handles at the next start.
	o.mu.Lock()
	rounds := (len(o.queue) + maxClearBatch - 1) / maxClearBatch
	o.mu.Unlock()
	for range rounds {
		if err := o.flush(); err != nil {
			return err
		}
	}
	return nil
}
