package audit

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kurastore/kura/internal/meta"
)

// A Pending is the audit event of one operation that is still running: an
// HTTP request, a KMS call, a lifecycle action, a key rotation. Whoever
// starts the operation begins it (Log.Begin or Log.BeginFunc), carries it
// in the context (WithPending) to every metadata change the operation
// makes, and ends it with Finish (the final event, with the outcome) or
// Drop (no event: nothing was changed).
//
// While a Pending is carried in the context, every metadata transaction
// made through an Outbox's store that changes something also stores the
// event as known so far (its intent) in the outbox table, in the same
// transaction: a change is never committed without a record of its event.
// Finish appends the final event to the trail; the outbox entry is then
// cleared in a later batch. At start, Outbox.Recover ships the entries
// whose final event never reached the trail (the process stopped in
// between).
//
// Only the innermost Pending of a context is staged: a KMS call S3 makes on
// a user's behalf begins its own, so the KMS key it creates is recorded by
// the KMS event, not by the S3 request's.
//
// A nil *Pending (from a nil *Log) does nothing. A Pending is safe for
// concurrent use.
type Pending struct {
	log      *Log
	id       string
	started  time.Time
	describe func() Event

	mu       sync.Mutex
	finished bool
	outbox   *Outbox // set once the intent was staged in a transaction
}

// Begin starts the audit event of an operation described by intent: who,
// what (eventSource, eventName), which resources, the request id, the time
// and the source — what the event would say if the operation stopped right
// after its change. The final event, given to Finish, gets the same
// eventID.
func (l *Log) Begin(intent Event) *Pending {
	intent.RequestParameters = maps.Clone(intent.RequestParameters)
	intent.AdditionalEventData = maps.Clone(intent.AdditionalEventData)
	intent.Resources = append([]Resource(nil), intent.Resources...)
	return l.BeginFunc(func() Event { return intent })
}

// BeginFunc is Begin for an operation whose event takes shape as it runs:
// describe returns the event as far as it is known. The outbox store calls
// it at the start of each Update made with the Pending in its context, on
// the goroutine that called Update; it must not block or change anything.
func (l *Log) BeginFunc(describe func() Event) *Pending {
	if l == nil {
		return nil
	}
	return &Pending{log: l, id: newEventID(), started: time.Now(), describe: describe}
}

// EventID is the eventID the final event will carry.
func (p *Pending) EventID() string {
	if p == nil {
		return ""
	}
	return p.id
}

// Finish appends ev, the operation's final event, to the trail under the
// Pending's eventID, and lets the outbox entry go. Changes made with the
// Pending in their context after Finish are not staged again. If the
// event cannot be appended the outbox entry stays, and the event is
// shipped from it at the next start.
func (p *Pending) Finish(ev Event) error {
	if p == nil {
		return nil
	}
	ev.EventID = p.id
	pos, err := p.log.append(ev)
	// If the event was not appended the entry stays: Recover ships it.
	p.end(err == nil, pos)
	return err
}

// Drop ends the Pending without an event. Use it only when the operation
// committed no change (its transaction failed, or there was nothing to
// do), or when another event records the operation.
func (p *Pending) Drop() {
	if p != nil {
		p.end(true, 0)
	}
}

// end finishes the Pending. If clear, its outbox entry (if it has one) may
// be deleted once the trail is synced through log position pos (see
// Log.append; 0 when there is no event to wait for).
func (p *Pending) end(clear bool, pos uint64) {
	p.mu.Lock()
	p.finished = true
	ob := p.outbox
	p.mu.Unlock()
	if ob != nil && clear {
		ob.clear([]byte(p.id), pos)
	}
}

// Stage puts ev in tx as the Pending's outbox entry. It is for operations
// whose event is only settled inside the transaction that makes the change
// (a lifecycle action decides again over the records it reads): they call
// Stage from that transaction instead of carrying the Pending in the
// context (not as well: the store would then put its own intent after
// theirs). tx must belong to the store the trail's Outbox wraps; without
// an Outbox, or once the Pending is finished, nothing is put. Like the
// transaction, Stage may run more than once.
func (p *Pending) Stage(tx meta.Tx, ev Event) error {
	if p == nil {
		return nil
	}
	ob := p.log.attachedOutbox()
	if ob == nil || !p.stage(ob) {
		return nil
	}
	ev.EventID = p.id
	if ev.EventTime.IsZero() {
		ev.EventTime = p.started
	}
	rec, err := ob.encodeEntry(ev)
	if err != nil {
		return fmt.Errorf("audit: encode pending event: %w", err)
	}
	return putOutboxEntry(tx, []byte(p.id), rec)
}

// done reports whether the Pending is finished.
func (p *Pending) done() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.finished
}

// encodeIntent returns the outbox key and record of the event as known now.
func (p *Pending) encodeIntent(ob *Outbox) (key, rec []byte, err error) {
	ev := p.describe()
	ev.EventID = p.id
	if ev.EventTime.IsZero() {
		ev.EventTime = p.started
	}
	rec, err = ob.encodeEntry(ev)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: encode pending event: %w", err)
	}
	return []byte(p.id), rec, nil
}

// stage notes that the intent is being put by a transaction of ob; false
// once the Pending is finished, when nothing must be put.
func (p *Pending) stage(ob *Outbox) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return false
	}
	p.outbox = ob
	return true
}

// newEventID is a version 7 UUID: it starts with the time, so outbox
// entries, keyed by it, are added at the end of their table and cleared
// from its start, touching few pages of the metadata file.
func newEventID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

type pendingKey struct{}

// WithPending returns ctx carrying p: the metadata changes made with the
// returned context are recorded with p's event. A nil p hides any Pending
// ctx carried, so changes made with it are staged for none.
func WithPending(ctx context.Context, p *Pending) context.Context {
	return context.WithValue(ctx, pendingKey{}, p)
}

// PendingFrom returns the Pending ctx carries, or nil.
func PendingFrom(ctx context.Context) *Pending {
	p, _ := ctx.Value(pendingKey{}).(*Pending)
	return p
}
