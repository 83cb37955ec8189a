package meta

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
)

// Version order. Every object version has a sequence number (seq): the
// versions table orders a key's versions by it, newest first (keys.go),
// and version ids encode it. It comes from the store's counter
// SequenceVersions, allocated in the transaction that installs the
// version, never from a node's clock.
//
// Data directories written before the counter existed hold clock-based
// numbers (nanoseconds since 1970, ~1.7e18). InitVersionSeq raises the
// counter above all of them once, so numbers allocated afterwards sort
// after every existing version. NextVersionSeq also allocates above the
// key's newest version, so a key's versions are in commit order even
// where the counter is not (meta.Tx.Sequence on a shared database), or
// where a version was written after the counter was initialised by
// something that did not use it.

// SequenceVersions names the counter of version sequence numbers.
const SequenceVersions = "versions"

// versionSeqInit records that the versions counter was raised above the
// numbers stored before it existed (TableSystem, SystemVersionSeqInit;
// docs/formats.md).
type versionSeqInit struct {
	Floor uint64 `json:"floor"` // the highest seq stored then (0: none)
}

// NextVersionSeq allocates the seq of a new newest version of bucket/key
// in tx: a number from the versions counter, and above the key's current
// newest version. Call it in the transaction that writes the version and
// build the version id from it there: a transaction that is run again
// (group commit) allocates again.
//
// Reading the newest version makes two writers of one key conflict under
// serializable isolation, so the one that commits second sees the first
// one's version and allocates above it.
func NextVersionSeq(tx Tx, bucket, key string) (uint64, error) {
	n, err := tx.Sequence(SequenceVersions)
	if err != nil {
		return 0, fmt.Errorf("allocate version seq: %w", err)
	}
	prefix := VersionsPrefix(bucket, key)
	k, _ := tx.Cursor(TableVersions).Seek(prefix)
	if k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8 {
		if newest := ^binary.BigEndian.Uint64(k[len(prefix):]); newest >= n {
			n = newest + 1
		}
	}
	return n, nil
}

// InitVersionSeq raises the versions counter above every seq stored, the
// first time it runs on a store; later calls only read one record. The
// first run reads every key of the versions table (keys only, ~1 s per
// million versions), in a read transaction. It returns the floor it set
// (0 when the store held no version) and whether this call set it.
func InitVersionSeq(ctx context.Context, s Store) (floor uint64, set bool, err error) {
	var done bool
	err = s.View(ctx, func(tx Tx) error {
		var rec versionSeqInit
		found, err := GetSystem(tx, SystemVersionSeqInit, &rec)
		if err != nil || found {
			done, floor = found, rec.Floor
			return err
		}
		floor = 0
		c := tx.Cursor(TableVersions)
		for k, _ := c.Seek(nil); k != nil; k, _ = c.Next() {
			if len(k) < 8 {
				return fmt.Errorf("versions table key %q is too short for a seq", k)
			}
			floor = max(floor, ^binary.BigEndian.Uint64(k[len(k)-8:]))
		}
		return nil
	})
	if err != nil || done {
		return floor, false, err
	}
	err = s.Update(ctx, func(tx Tx) error {
		set = false
		var rec versionSeqInit
		if found, err := GetSystem(tx, SystemVersionSeqInit, &rec); err != nil || found {
			return err // another node got there first
		}
		if err := tx.RaiseSequence(SequenceVersions, floor); err != nil {
			return err
		}
		set = true
		return PutSystem(tx, SystemVersionSeqInit, versionSeqInit{Floor: floor})
	})
	if err != nil {
		return 0, false, fmt.Errorf("initialise the version counter: %w", err)
	}
	return floor, set, nil
}
