package migrate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kurastore/kura/internal/meta"
)

// kv is a row, copied out of its transaction.
type kv struct{ k, v []byte }

// maxBatchBytes caps the values one target transaction writes.
const maxBatchBytes = 4 << 20

// page reads up to n rows of t after the key after (nil: from the first),
// stopping past upTo when it is not nil. more says whether t has rows
// beyond the page (n reached, or upTo passed).
func page(ctx context.Context, s meta.Store, t meta.Table, after []byte, n int, upTo []byte) (rows []kv, more bool, err error) {
	err = s.View(ctx, func(tx meta.Tx) error {
		rows, more = readPage(tx, t, after, n, upTo)
		return nil
	})
	return rows, more, err
}

func readPage(tx meta.Tx, t meta.Table, after []byte, n int, upTo []byte) (rows []kv, more bool) {
	c := tx.Cursor(t)
	k, v := c.Seek(after)
	if k != nil && after != nil && bytes.Equal(k, after) {
		k, v = c.Next()
	}
	size := 0
	for ; k != nil; k, v = c.Next() {
		if upTo != nil && bytes.Compare(k, upTo) > 0 {
			return rows, true
		}
		if n > 0 && (len(rows) >= n || size >= maxBatchBytes) {
			return rows, true
		}
		rows = append(rows, kv{bytes.Clone(k), bytes.Clone(v)})
		size += len(k) + len(v)
	}
	return rows, false
}

// copyRows copies every table, resuming after each table's checkpoint.
func (m *migration) copyRows(ctx context.Context, st state) error {
	var done int64
	for _, t := range m.tables {
		cp, err := m.checkpoint(ctx, t.Name)
		if err != nil {
			return err
		}
		done += cp.Rows
		m.progress(PhaseRows, t.Name, done)
		for !cp.Done {
			n, err := m.copyBatch(ctx, t.Name, &cp)
			if err != nil {
				return fmt.Errorf("copy table %s after key %q: %w", t.Name, cp.After, err)
			}
			done += n
			m.progress(PhaseRows, t.Name, done)
		}
	}
	return nil
}

func (m *migration) progress(phase string, t meta.Table, rows int64) {
	m.o.Progress(Progress{Phase: phase, Table: t, Rows: rows, Total: m.r.Rows,
		BlobsTotal: m.r.Blobs, BytesTotal: m.r.BlobBytes, Blobs: m.r.Blobs, Bytes: m.r.BlobBytes})
}

func (m *migration) checkpoint(ctx context.Context, t meta.Table) (cp checkpoint, err error) {
	err = m.dst.View(ctx, func(tx meta.Tx) error {
		v, err := tx.Get(TableCheckpoints, checkpointKey(t))
		if errors.Is(err, meta.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return json.Unmarshal(v, &cp)
	})
	return cp, err
}

// copyBatch makes the next batch of t's rows after cp equal in the target
// — writing rows missing or different there, deleting rows the source
// does not have — and advances cp in the same transaction. It returns the
// number of source rows the batch covered.
func (m *migration) copyBatch(ctx context.Context, t meta.Table, cp *checkpoint) (int64, error) {
	rows, more, err := page(ctx, m.src.meta, t, cp.After, m.o.BatchRows, nil)
	if err != nil {
		return 0, fmt.Errorf("read the source: %w", err)
	}
	next := checkpoint{V: 1, After: cp.After, Rows: cp.Rows + int64(len(rows)), Done: !more}
	var upTo []byte // the target's rows to merge with: up to the batch's last key, or all when the source has no more
	if len(rows) > 0 {
		next.After = rows[len(rows)-1].k
		if more {
			upTo = next.After
		}
	}
	var written, deleted int64
	err = m.dst.Update(ctx, func(tx meta.Tx) error {
		written, deleted = 0, 0 // fn may run more than once
		have, _ := readPage(tx, t, cp.After, 0, upTo)
		i, j := 0, 0
		for i < len(rows) || j < len(have) {
			switch {
			case j == len(have) || i < len(rows) && bytes.Compare(rows[i].k, have[j].k) < 0:
				if err := tx.Put(t, rows[i].k, rows[i].v); err != nil {
					return err
				}
				written++
				i++
			case i == len(rows) || bytes.Compare(rows[i].k, have[j].k) > 0:
				if err := tx.Delete(t, have[j].k); err != nil {
					return err
				}
				deleted++
				j++
			default:
				if !bytes.Equal(rows[i].v, have[j].v) {
					if err := tx.Put(t, rows[i].k, rows[i].v); err != nil {
						return err
					}
					written++
				}
				i++
				j++
			}
		}
		return putJSON(tx, checkpointKey(t), next)
	})
	if err != nil {
		return 0, fmt.Errorf("write the target: %w", err)
	}
	m.r.RowsWritten += written
	m.r.RowsDeleted += deleted
	*cp = next
	return int64(len(rows)), nil
}

// verifyRows compares every moved table in source and target, page by
// page, both ways.
func (m *migration) verifyRows(ctx context.Context) error {
	var done int64
	for _, t := range m.tables {
		var after []byte
		for {
			rows, more, err := page(ctx, m.src.meta, t.Name, after, m.o.BatchRows, nil)
			if err != nil {
				return fmt.Errorf("verify table %s: read the source: %w", t.Name, err)
			}
			var upTo []byte
			if more {
				upTo = rows[len(rows)-1].k
			}
			have, _, err := page(ctx, m.dst, t.Name, after, 0, upTo)
			if err != nil {
				return fmt.Errorf("verify table %s: read the target: %w", t.Name, err)
			}
			m.compare(t.Name, rows, have)
			done += int64(len(rows))
			m.progress(PhaseVerifyRows, t.Name, done)
			if !more {
				break
			}
			after = upTo
		}
	}
	return nil
}

// compare reports where want (the source's rows) and have (the target's,
// over the same key range) differ.
func (m *migration) compare(t meta.Table, want, have []kv) {
	i, j := 0, 0
	for i < len(want) || j < len(have) {
		switch {
		case j == len(have) || i < len(want) && bytes.Compare(want[i].k, have[j].k) < 0:
			m.mismatch(Mismatch{Table: t, Key: want[i].k, Problem: "missing in the target"})
			i++
		case i == len(want) || bytes.Compare(want[i].k, have[j].k) > 0:
			m.mismatch(Mismatch{Table: t, Key: have[j].k, Problem: "in the target but not in the source"})
			j++
		default:
			if !bytes.Equal(want[i].v, have[j].v) {
				m.mismatch(Mismatch{Table: t, Key: want[i].k,
					Problem: fmt.Sprintf("the values differ (%d bytes in the source, %d in the target)", len(want[i].v), len(have[j].v))})
			}
			i++
			j++
		}
	}
}

// errRollback undoes the transaction verifySequences reads counters in.
var errRollback = errors.New("rollback")

// verifySequences checks that each target counter hands out a number
// above the source's last one. Taking a number leaves a gap on a shared
// database (nextval is not rolled back), which Tx.Sequence allows.
func (m *migration) verifySequences(ctx context.Context) error {
	if len(m.seqs) == 0 {
		return nil
	}
	var low []Mismatch
	err := m.dst.Update(ctx, func(tx meta.Tx) error {
		low = low[:0]
		for name, last := range m.seqs {
			n, err := tx.Sequence(name)
			if err != nil {
				return err
			}
			if n <= last {
				low = append(low, Mismatch{Counter: name, Problem: fmt.Sprintf("the target hands out %d, not above the source's last number %d", n, last)})
			}
		}
		return errRollback
	})
	if err != nil && !errors.Is(err, errRollback) {
		return fmt.Errorf("verify counters: %w", err)
	}
	for _, x := range low {
		m.mismatch(x)
	}
	return nil
}
