package meta

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/kurastore/kura"
)

// TableReplication is the replication queue: one entry per source version
// and destination still to replicate, written in the transaction that
// commits the version (internal/object), removed in the one that records
// the outcome (internal/replication). Key: bucket 0x00 key 0x00 seq
// (8 bytes big-endian) 0x00 destination bucket; value: a replication run
// record (docs/formats.md).
const TableReplication Table = "replication"

type replicationRunRecord struct {
	Bucket       string    `json:"bucket"`
	Key          string    `json:"key"`
	VersionID    string    `json:"vid"`
	Seq          uint64    `json:"seq"`
	RuleID       string    `json:"rule,omitempty"`
	Destination  string    `json:"dest"`
	DeleteMarker bool      `json:"dm,omitempty"`
	Metadata     bool      `json:"meta,omitempty"`
	Size         int64     `json:"size,omitempty"`
	Queued       time.Time `json:"queued"`
	Attempts     int       `json:"attempts,omitempty"`
	NextAttempt  time.Time `json:"next,omitzero"`
	LastError    string    `json:"error,omitempty"`
}

func replicationKey(r *kura.ReplicationRun) []byte {
	k := make([]byte, 0, len(r.Bucket)+len(r.Key)+len(r.Destination)+11)
	k = append(k, r.Bucket...)
	k = append(k, 0)
	k = append(k, r.Key...)
	k = append(k, 0)
	k = binary.BigEndian.AppendUint64(k, r.Seq)
	k = append(k, 0)
	return append(k, r.Destination...)
}

// QueueReplication writes (or rewrites, after a failed attempt) a
// replication queue entry.
func QueueReplication(tx Tx, r *kura.ReplicationRun) error {
	rec, err := Encode(replicationRunRecord(*r))
	if err != nil {
		return err
	}
	return tx.Put(TableReplication, replicationKey(r), rec)
}

// UnqueueReplication removes a replication queue entry.
func UnqueueReplication(tx Tx, r *kura.ReplicationRun) error {
	return tx.Delete(TableReplication, replicationKey(r))
}

// ReplicationQueued reports whether an entry for r's version and
// destination is still queued, and returns it as stored.
func ReplicationQueued(tx Tx, r *kura.ReplicationRun) (*kura.ReplicationRun, error) {
	raw, err := tx.Get(TableReplication, replicationKey(r))
	if err != nil {
		return nil, err
	}
	var rec replicationRunRecord
	if err := Decode(raw, &rec); err != nil {
		return nil, err
	}
	out := kura.ReplicationRun(rec)
	return &out, nil
}

// ReplicationQueue returns up to limit entries of the replication queue
// after the entry after (nil: from the first), in key order (bucket, key,
// version order), and whether the queue was read to its end.
func ReplicationQueue(tx Tx, after *kura.ReplicationRun, limit int) (page []kura.ReplicationRun, done bool, err error) {
	c := tx.Cursor(TableReplication)
	var k, v []byte
	if after == nil {
		k, v = c.Seek(nil)
	} else {
		start := replicationKey(after)
		k, v = c.Seek(start)
		if k != nil && string(k) == string(start) {
			k, v = c.Next()
		}
	}
	for ; k != nil && len(page) < limit; k, v = c.Next() {
		var rec replicationRunRecord
		if err := Decode(v, &rec); err != nil {
			return nil, false, fmt.Errorf("replication queue entry %q: %w", k, err)
		}
		page = append(page, kura.ReplicationRun(rec))
	}
	return page, k == nil, nil
}

// PendingReplications returns the queue entries of one source version.
func PendingReplications(tx Tx, bucket, key string, seq uint64) ([]kura.ReplicationRun, error) {
	prefix := replicationKey(&kura.ReplicationRun{Bucket: bucket, Key: key, Seq: seq})
	c := tx.Cursor(TableReplication)
	var out []kura.ReplicationRun
	for k, v := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
		var rec replicationRunRecord
		if err := Decode(v, &rec); err != nil {
			return nil, fmt.Errorf("replication queue entry %q: %w", k, err)
		}
		out = append(out, kura.ReplicationRun(rec))
	}
	return out, nil
}

// TableReplicaIDs indexes the replicas a linked deployment sent, which
// keep their source's version id but are stored under a seq of this
// deployment (the id's seq is another counter's): VersionsPrefix(bucket,
// key) + version id → seq, 8 bytes big-endian (docs/replication.md).
const TableReplicaIDs Table = "replica_ids"

func replicaIDKey(bucket, key, versionID string) []byte {
	return append(VersionsPrefix(bucket, key), versionID...)
}

// ReplicaSeq returns the local seq of a remote replica's version id.
func ReplicaSeq(tx Tx, bucket, key, versionID string) (uint64, bool, error) {
	raw, err := tx.Get(TableReplicaIDs, replicaIDKey(bucket, key, versionID))
	if errors.Is(err, ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if len(raw) != 8 {
		return 0, false, fmt.Errorf("replica id index: record of %d bytes, want 8", len(raw))
	}
	return binary.BigEndian.Uint64(raw), true, nil
}

// PutReplicaSeq records that the remote replica versionID is stored under seq.
func PutReplicaSeq(tx Tx, bucket, key, versionID string, seq uint64) error {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	return tx.Put(TableReplicaIDs, replicaIDKey(bucket, key, versionID), b[:])
}
