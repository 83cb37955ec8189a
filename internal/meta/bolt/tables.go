package bolt

import (
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/kurastore/kura/internal/meta"
)

// What `kura migrate` (internal/migrate) needs to copy a whole file into
// another meta.Store: every table the file holds, including ones this
// version of Kura does not name, the Tx.Sequence counters (kept in a
// bucket of the backend's own, not a table), and a number that changes
// whenever anything is written.

// TableInfo names a table of the file and how many records it holds.
type TableInfo struct {
	Name meta.Table
	Rows int64
}

// Tables lists the tables in the file in name order, without the bucket
// of sequence counters (see Sequences).
func (s *Store) Tables() ([]TableInfo, error) {
	var ts []TableInfo
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			if meta.Table(name) == sequencesBucket {
				return nil
			}
			ts = append(ts, TableInfo{Name: meta.Table(name), Rows: int64(b.Stats().KeyN)})
			return nil
		})
	})
	return ts, err
}

// Sequences returns the last number handed out by every Tx.Sequence
// counter in the file (meta.Tx.RaiseSequence to it makes a store hand out
// only greater numbers).
func (s *Store) Sequences() (map[string]uint64, error) {
	seqs := map[string]uint64{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(sequencesBucket))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(v) != 9 || v[0] != sequenceV1 {
				return fmt.Errorf("meta/bolt: sequence %q: unknown counter format (%d bytes)", k, len(v))
			}
			seqs[string(k)] = binary.BigEndian.Uint64(v[1:])
			return nil
		})
	})
	return seqs, err
}

// Generation is the id of the last committed write transaction: it
// changes whenever anything is written to the file, so equal generations
// mean equal contents.
func (s *Store) Generation() (uint64, error) {
	var id int
	err := s.db.View(func(tx *bbolt.Tx) error {
		id = tx.ID()
		return nil
	})
	return uint64(id), err
}
