package audit

import (
	"context"
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

	mu      sync.Mutex
	queue   [][]byte // keys of entries whose final event was appended
	running bool     // the clearing goroutine was started
	closed  bool
	stop    chan struct{}
	done    chan struct{}
}

// maxClearBatch bounds the entries one clearing transaction deletes.
const maxClearBatch = 10000

// NewOutbox returns the outbox of log in store. Entries are cleared in the
// background every SyncInterval (the trail's; DefaultSyncInterval for 0),
// from the first one that is due on. Call Recover before serving and Close
// before closing log and store.
func NewOutbox(store meta.Store, log *Log, logger *slog.Logger) *Outbox {
	if logger == nil {
		logger = slog.Default()
	}
	o := &Outbox{store: store, log: log, lg: logger, every: DefaultSyncInterval,
		stop: make(chan struct{}), done: make(chan struct{})}
	if log != nil && log.every > 0 {
		o.every = log.every
	}
	return o
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
	key, rec, err := p.encodeIntent()
	if err != nil {
		return err
	}
	return s.Store.Update(ctx, func(tx meta.Tx) error {
		w := &writeTx{Tx: tx}
		if err := fn(w); err != nil || !w.wrote || !p.stage(s.o) {
			return err
		}
		return tx.Put(meta.TableAuditOutbox, key, rec)
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

// encodeEvent is an outbox record: meta's version byte, then the event as
// the trail would hold it.
func encodeEvent(ev Event) ([]byte, error) { return meta.Encode(ev) }

func decodeEvent(b []byte) (Event, error) {
	var ev Event
	err := meta.Decode(b, &ev)
	return ev, err
}

// clear queues an entry whose final event was appended.
func (o *Outbox) clear(key []byte) {
	o.mu.Lock()
	o.queue = append(o.queue, key)
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

// flush deletes the queued entries once the trail is synced, so that an
// entry is never gone before its event is durable. On failure the entries
// stay queued for the next round (and Recover would not duplicate them).
func (o *Outbox) flush() error {
	o.mu.Lock()
	n := min(len(o.queue), maxClearBatch)
	keys := o.queue[:n:n]
	o.queue = o.queue[n:]
	o.mu.Unlock()
	if n == 0 {
		return nil
	}
	err := o.log.Sync()
	if err == nil {
		err = o.store.Update(context.Background(), func(tx meta.Tx) error {
			for _, k := range keys {
				if err := tx.Delete(meta.TableAuditOutbox, k); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		o.lg.Warn("audit: clearing the outbox failed; will retry", "entries", n, "err", err)
		o.mu.Lock()
		o.queue = append(keys, o.queue...) // keys has no spare capacity: a copy
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
