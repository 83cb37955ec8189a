package object

import "sync"

// readGuard keeps released blobs on disk while reads that may still need
// them are running.
//
// A read looks a version up in one metadata transaction and opens its blobs
// afterwards (multipart objects: one part at a time, as the stream reaches
// it). An overwrite or delete that commits in between releases those blobs;
// deleting them at once would turn the read into a NoSuchKey or a truncated
// body although it started while the version was current. So every read
// registers before its lookup, and a release waits until every read that
// registered before it has finished. Reads that start later cannot reach the
// released blobs: the metadata no longer names them.
//
// The release is already recorded in the blob GC queue, so a crash while a
// deletion waits here is repaired by Recover like any interrupted delete.
type readGuard struct {
	mu      sync.Mutex
	epoch   uint64            // current epoch: reads register in it
	active  map[uint64]int    // epoch → reads still running
	pending []pendingDeletion // ordered by epoch
}

type pendingDeletion struct {
	epoch uint64 // reads of epochs ≤ this may still use ids
	ids   []string
}

// begin registers a read and returns the function that ends it.
func (g *readGuard) begin() (end func() []string) {
	g.mu.Lock()
	e := g.epoch
	if g.active == nil {
		g.active = map[uint64]int{}
	}
	g.active[e]++
	g.mu.Unlock()
	var once sync.Once
	return func() (due []string) {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.active[e]--; g.active[e] == 0 {
				delete(g.active, e)
			}
			due = g.dueLocked()
		})
		return due
	}
}

// retire queues ids for deletion and returns the ids that can be deleted
// now: those no running read can still reach.
func (g *readGuard) retire(ids []string) (due []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pending = append(g.pending, pendingDeletion{epoch: g.epoch, ids: ids})
	g.epoch++
	return g.dueLocked()
}

// dueLocked pops the pending deletions older than every running read.
func (g *readGuard) dueLocked() []string {
	oldest := g.epoch
	for e := range g.active {
		oldest = min(oldest, e)
	}
	var due []string
	n := 0
	for _, p := range g.pending {
		if p.epoch >= oldest {
			break
		}
		due = append(due, p.ids...)
		n++
	}
	g.pending = g.pending[n:]
	return due
}
