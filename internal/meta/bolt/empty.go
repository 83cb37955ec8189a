package bolt

import (
	"errors"

	"go.etcd.io/bbolt"
)

var errStopWalk = errors.New("stop")

// Empty reports whether the store holds no record in any table: a file that
// was created but never written to. It looks at every table in the file,
// including ones this version of Kura does not know.
func (s *Store) Empty() (bool, error) {
	empty := true
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bbolt.Bucket) error {
			if k, _ := b.Cursor().First(); k != nil {
				empty = false
				return errStopWalk
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, errStopWalk) {
		return false, err
	}
	return empty, nil
}
