package bolt

import (
	"encoding/binary"
	"fmt"

	"github.com/kurastore/kura/internal/meta"
)

// Counters of Tx.Sequence live in a bucket of their own, one key per
// counter name, its value a version byte and the last number returned
// (8 bytes, big-endian; docs/formats.md, "Sequence counters"). bbolt has
// one writer at a time, so a counter read and advanced in a transaction
// gives its numbers in commit order, a stronger order than meta.Tx asks
// for; a transaction that does not commit (an Update that fails, or a
// group commit run again without one of its members) leaves no trace.
const sequencesBucket meta.Table = "sequences"

// sequenceV1 is the version byte of a counter's value.
const sequenceV1 = 1

func (x *tx) Sequence(name string) (uint64, error) {
	last, err := x.sequence(name)
	if err != nil {
		return 0, err
	}
	return last + 1, x.setSequence(name, last+1)
}

func (x *tx) RaiseSequence(name string, floor uint64) error {
	last, err := x.sequence(name)
	if err != nil || last >= floor {
		return err
	}
	return x.setSequence(name, floor)
}

// sequence returns the last number of counter name (0: never used).
func (x *tx) sequence(name string) (uint64, error) {
	if !x.btx.Writable() {
		return 0, ErrReadOnly
	}
	v, err := x.Get(sequencesBucket, []byte(name))
	if err == meta.ErrNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 9 || v[0] != sequenceV1 {
		return 0, fmt.Errorf("meta/bolt: sequence %q: unknown counter format (%d bytes)", name, len(v))
	}
	return binary.BigEndian.Uint64(v[1:]), nil
}

func (x *tx) setSequence(name string, n uint64) error {
	v := binary.BigEndian.AppendUint64([]byte{sequenceV1}, n)
	return x.Put(sequencesBucket, []byte(name), v)
}
