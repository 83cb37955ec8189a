package audit

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kurastore/kura/internal/meta"
)

// The cluster trail. With several nodes on one shared metadata store
// (PostgreSQL), each node still appends every event to the trail file in
// its own data directory, exactly as a single node does; in addition, a
// Cluster exports the events its node appends into one table of the
// shared store, meta.TableAuditTrail, so that all nodes' events are in one
// place and in one order. Every ExportInterval a node writes the events
// appended since its last export in one transaction, under one number of
// the store-wide counter "audit_trail" (meta.Tx.Sequence): the key of an
// event is that number (8 bytes, big-endian) then its index in the batch
// (4 bytes). A batch committed after another committed has a greater
// number, so reading the table in key order gives every reader the same
// order: the order in which the batches were committed, and within a
// batch, the order in which the node appended the events to its trail.
// Batches of different nodes committed at the same time are ordered by
// their numbers, as the database handed them out.
//
// What this is not: the order of the changes' own commits. An event is
// exported within ExportInterval (plus a failed export's retries) of the
// end of its request. And an event appended by a node that dies before
// its next export is in that node's trail file but not in the table,
// unless it is a change's: those are also in the outbox, which the next
// node to start ships into its trail, and so into the table if its
// Cluster was started before Outbox.Recover (the server does so).
// docs/scale-out.md, "Audit trail", says so.

// ExportInterval is how often a Cluster writes its node's new events.
const ExportInterval = time.Second

// maxExportBatch bounds the events one export transaction writes.
const maxExportBatch = 5000

// trailCounter is the meta.Tx.Sequence counter that numbers the batches.
const trailCounter = "audit_trail"

// clusterRecord is a row of meta.TableAuditTrail: meta's version byte,
// then this as JSON (docs/formats.md, "Cluster audit trail").
type clusterRecord struct {
	Node  string          `json:"node"`
	Event json.RawMessage `json:"event"`
}

// Cluster exports the events of one node's Log into the shared store.
type Cluster struct {
	store meta.Store
	node  string
	lg    *slog.Logger

	mu      sync.Mutex
	queue   [][]byte // event lines not yet exported, in trail order
	head    uint64   // events ever taken off the queue's head
	dropped int64    // events dropped when the queue overflowed
	stop    chan struct{}
	done    chan struct{}
	closed  bool
}

// maxQueued bounds the events waiting for export while the store does not
// answer; past it the oldest are dropped (they stay in the trail file)
// and the loss is logged.
const maxQueued = 200000

// NewCluster starts exporting the events log appends from now on into
// store under node's name. Close it before closing log and store.
func NewCluster(store meta.Store, log *Log, node string, logger *slog.Logger) *Cluster {
	if logger == nil {
		logger = slog.Default()
	}
	c := &Cluster{store: store, node: node, lg: logger, stop: make(chan struct{}), done: make(chan struct{})}
	if log != nil {
		log.mu.Lock()
		log.cluster = c
		log.mu.Unlock()
	}
	go c.loop()
	return c
}

// add queues an event line (called by Log with its lock held, so the queue
// is in trail order).
func (c *Cluster) add(line []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if len(c.queue) >= maxQueued {
		c.queue = c.queue[1:]
		c.head++
		c.dropped++
	}
	c.queue = append(c.queue, line)
}

func (c *Cluster) loop() {
	defer close(c.done)
	t := time.NewTicker(ExportInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.export() // a failure is logged and retried next tick
		}
	}
}

// export writes what is queued, in batches of at most maxExportBatch.
func (c *Cluster) export() error {
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxExportBatch)
		batch, h0 := c.queue[:n:n], c.head
		dropped := c.dropped
		c.dropped = 0
		c.mu.Unlock()
		if dropped > 0 {
			c.lg.Error("audit: the cluster trail could not keep up; events were left out of it (they are in this node's trail file)", "events", dropped)
		}
		if n == 0 {
			return nil
		}
		rows := make([][]byte, n)
		for i, line := range batch {
			raw, err := meta.Encode(clusterRecord{Node: c.node, Event: json.RawMessage(trimNewline(line))})
			if err != nil {
				return err
			}
			rows[i] = raw
		}
		err := c.store.Update(context.Background(), func(tx meta.Tx) error {
			seq, err := tx.Sequence(trailCounter)
			if err != nil {
				return err
			}
			for i, raw := range rows {
				if err := tx.Put(meta.TableAuditTrail, trailKey(seq, uint32(i)), raw); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			c.lg.Warn("audit: exporting events to the cluster trail failed; will retry", "events", n, "err", err)
			return err
		}
		c.mu.Lock()
		// An overflow may have trimmed the queue meanwhile: take off only
		// what of the batch is still at its head.
		if done := h0 + uint64(n); done > c.head {
			c.queue = c.queue[done-c.head:]
			c.head = done
		}
		c.mu.Unlock()
	}
}

// Close exports what is queued and stops. Events appended afterwards are
// only in the trail file.
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	close(c.stop)
	<-c.done
	err := c.export()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return err
}

func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

func trailKey(seq uint64, i uint32) []byte {
	k := make([]byte, 12)
	binary.BigEndian.PutUint64(k, seq)
	binary.BigEndian.PutUint32(k[8:], i)
	return k
}

// ClusterEvent is an event of the cluster trail: the node that recorded
// it and its position (batch number, index in the batch).
type ClusterEvent struct {
	Event
	Node  string
	Batch uint64
	Index uint32
}

// QueryCluster calls fn, in the cluster trail's order, for every event of
// meta.TableAuditTrail in store that f matches. It reads one snapshot.
func QueryCluster(ctx context.Context, store meta.Store, f Filter, fn func(ClusterEvent) error) error {
	return store.View(ctx, func(tx meta.Tx) error {
		c := tx.Cursor(meta.TableAuditTrail)
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			if len(k) != 12 {
				return fmt.Errorf("audit: cluster trail key %x: want 12 bytes", k)
			}
			var r clusterRecord
			if err := meta.Decode(v, &r); err != nil {
				return fmt.Errorf("audit: cluster trail entry %x: %w", k, err)
			}
			var ev Event
			if err := json.Unmarshal(r.Event, &ev); err != nil {
				return fmt.Errorf("audit: cluster trail entry %x: %w", k, err)
			}
			ev.line = append([]byte(nil), r.Event...)
			if !f.Match(ev) {
				continue
			}
			if err := fn(ClusterEvent{Event: ev, Node: r.Node, Batch: binary.BigEndian.Uint64(k), Index: binary.BigEndian.Uint32(k[8:])}); err != nil {
				return err
			}
		}
		return nil
	})
}
