package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/kurastore/kura/internal/meta"
)

// Recovery is what Recover found in the outbox.
type Recovery struct {
	// Shipped events were missing from the trail and were appended,
	// marked as recovered (see RecoveredKey).
	Shipped int
	// Present entries already had their event in the trail: the process
	// stopped after appending it but before clearing the entry.
	Present int
	// Unreadable entries could not be decoded and were dropped.
	Unreadable int
	// Others are entries of other nodes of a shared store (SetNode) left
	// for them: staged less than StaleEntry ago.
	Others int
}

// Keys of additionalEventData in an event shipped by Recover.
const (
	// RecoveredKey is false in an event rebuilt from the outbox: the
	// change was committed, but the process stopped (or the trail could
	// not be written) before the final event was, so the response, and
	// whether the client saw it, is not recorded.
	RecoveredKey = "responseRecorded"
	// RecoveredAtKey is when the event was rebuilt (RFC 3339, UTC).
	RecoveredAtKey = "recoveredAt"
)

// recoveryWindow is how far before the oldest outbox entry Recover looks
// for events already in the trail: events are appended after their entry
// is staged, so only a wall clock stepped back by more than this could
// hide one (and then the event is shipped twice, never lost).
const recoveryWindow = time.Hour

// Recover ships to the trail the events of changes whose final event never
// reached it, and clears the outbox. Call it at start, before anything
// stages new entries. An event already in the trail (looked up by eventID)
// is not appended again, so Recover may be interrupted and run again.
func (o *Outbox) Recover(ctx context.Context) (Recovery, error) {
	var r Recovery
	type entry struct {
		key []byte
		ev  Event
	}
	var entries []entry
	var bad [][]byte
	var others int
	err := o.store.View(ctx, func(tx meta.Tx) error {
		entries, bad, others = nil, nil, 0
		for k, e := range outboxEntries(tx) {
			if e.Err != nil || e.EventID != string(k) {
				bad = append(bad, bytes.Clone(k))
				continue
			}
			if o.node != "" && e.Tag.Node != o.node {
				// Another node's (or an untagged one on a shared
				// store): its node may still be finishing the request
				// or clearing the entry, and only its own trail file
				// shows whether the event is there.
				staged := e.Tag.Staged
				if staged.IsZero() {
					staged = e.EventTime
				}
				if time.Since(staged) < o.staleAfter {
					others++
					continue
				}
			}
			entries = append(entries, entry{bytes.Clone(k), e.Event})
		}
		return nil
	})
	r.Others = others
	if err != nil || len(entries)+len(bad) == 0 {
		return r, err
	}
	r.Unreadable = len(bad)
	if len(entries) > 0 {
		since := entries[0].ev.EventTime
		ids := make(map[string]bool, len(entries))
		for _, e := range entries {
			ids[e.ev.EventID] = false
			if e.ev.EventTime.Before(since) {
				since = e.ev.EventTime
			}
		}
		if err := o.log.findEvents(ids, since.Add(-recoveryWindow)); err != nil {
			return r, err
		}
		sort.SliceStable(entries, func(i, j int) bool { return entries[i].ev.EventTime.Before(entries[j].ev.EventTime) })
		now := time.Now().UTC().Format(time.RFC3339)
		for _, e := range entries {
			if ids[e.ev.EventID] {
				r.Present++
				continue
			}
			ev := e.ev
			if ev.AdditionalEventData == nil {
				ev.AdditionalEventData = map[string]any{}
			}
			ev.AdditionalEventData[RecoveredKey] = false
			ev.AdditionalEventData[RecoveredAtKey] = now
			if err := o.log.Append(ev); err != nil {
				return r, err
			}
			r.Shipped++
		}
		if err := o.log.Sync(); err != nil {
			return r, err
		}
	}
	done := bad
	for _, e := range entries {
		done = append(done, e.key)
	}
	err = o.store.Update(ctx, func(tx meta.Tx) error {
		return deleteOutboxEntries(tx, done)
	})
	return r, err
}

// findEvents sets ids[id] for every id whose event is in the trail files
// that may hold events appended since since: the current file and the
// files rotated after since.
func (l *Log) findEvents(ids map[string]bool, since time.Time) error {
	dir := filepath.Dir(l.path)
	rotated, err := rotatedFiles(dir, l.path)
	if err != nil {
		return err
	}
	var paths []string
	for _, f := range rotated {
		if !f.stamp.Before(since) {
			paths = append(paths, f.path)
		}
	}
	paths = append(paths, l.path)
	for _, p := range paths {
		if err := scanIDs(p, ids); err != nil {
			return err
		}
	}
	return nil
}

// scanIDs marks the ids of the events in the file at path.
func scanIDs(path string, ids map[string]bool) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	r := newLineReader(f, path)
	for {
		line, err := r.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var ev struct {
			EventID string `json:"eventID"`
		}
		if json.Unmarshal(line, &ev) != nil {
			continue // not an event; readers report it, Recover need not
		}
		if _, ok := ids[ev.EventID]; ok {
			ids[ev.EventID] = true
		}
	}
}
