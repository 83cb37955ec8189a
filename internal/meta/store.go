// Package meta defines Kura's metadata store: an ordered, transactional
// key-value interface (Store) that every backend implements, the key layout
// (keys.go), and the on-disk encoding of the domain types of package kura
// (records.go, codec.go: a version byte and JSON whose field names are the
// format). Typed accessors (objects.go, system.go) are the only code that
// turns kura values into rows of the object and system tables and back;
// everything above meta reads and writes buckets, versions, uploads, parts
// and the blob GC queue through them. Object data never goes here; only
// the sealed data keys do.
//
// The interface is deliberately small so a SQL backend can implement it with
// one table per Table and a (key bytea primary key, value bytea) schema.
package meta

import (
	"context"
	"errors"
)

// ErrNotFound is returned by Tx.Get when a key is absent.
var ErrNotFound = errors.New("meta: key not found")

// Table names a keyspace. Tables exist implicitly: reading a table that was
// never written behaves as an empty table.
type Table string

// The tables Kura uses.
const (
	TableBuckets  Table = "buckets"  // bucket name → kura.Bucket record
	TableVersions Table = "versions" // VersionKey → kura.ObjectVersion record (newest first per object key)
	TableUploads  Table = "uploads"  // UploadKey → kura.Upload record
	TableParts    Table = "parts"    // PartKey → kura.UploadPart record
	TableBlobGC   Table = "blobgc"   // blob id → release record: blobs to delete once their grace period has passed
	TableSystem   Table = "system"   // singletons named in system.go
	TableLeases   Table = "leases"   // lease name → lease record (internal/lease)

	// TableAuditOutbox holds the audit events of changes committed but not
	// yet known to be in the audit trail: event id → encoded audit.Event
	// (internal/audit, outbox.go).
	TableAuditOutbox Table = "audit_outbox"
	// TableAuditTrail is the cluster audit trail of nodes sharing one
	// store: batch number (8 bytes BE) index (4 bytes BE) → the node and
	// the event (internal/audit, cluster.go).
	TableAuditTrail Table = "audit_trail"

	TableKMSKeys        Table = "kms_keys"         // KMS key id → kms key record
	TableKMSAccountKeys Table = "kms_account_keys" // account 0x00 key id → nothing: ListKeys index
	TableKMSAliases     Table = "kms_aliases"      // account 0x00 alias name → kms alias record

	TableIAMAccounts Table = "iam_accounts" // account id → iam account record
	TableIAMUsers    Table = "iam_users"    // account 0x00 lower-case user name → iam user record
	TableIAMKeys     Table = "iam_keys"     // access key id → iam access key record (secret sealed)
	TableIAMRoles    Table = "iam_roles"    // account 0x00 lower-case role name → iam role record
	TableIAMPolicies Table = "iam_policies" // account 0x00 lower-case policy name → iam managed policy record
	TableIAMSessions Table = "iam_sessions" // temporary access key id → iam session record (secret sealed)

	TableBatchJobs   Table = "batch_jobs"   // account 0x00 job id → batch job record (internal/batch)
	TableBatchTokens Table = "batch_tokens" // account 0x00 ClientRequestToken → the job it created
	TableBatchChunks Table = "batch_chunks" // job id 0x00 chunk number (8 bytes BE) → a checkpointed chunk: counts, result files
)

// Table names a backend keeps for itself: no Table may take them.
//
// "sequences": meta/bolt keeps Tx.Sequence counters there (counter name
// → version byte, 8-byte big-endian last number; docs/formats.md).

// Store is an ordered, transactional, crash-safe key-value store.
type Store interface {
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a serializable read-write transaction and returns
	// only once the transaction is durable. Implementations may commit
	// concurrent Updates together (group commit) and may therefore call fn
	// more than once: fn must not have side effects outside the Tx. If fn
	// returns an error, nothing it wrote is committed.
	Update(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx is a transaction. Slices returned by Get and Cursor are valid only until
// the transaction ends; copy them to keep them.
type Tx interface {
	Get(t Table, key []byte) ([]byte, error)
	// Put and Delete fail in a read-only transaction.
	Put(t Table, key, value []byte) error
	Delete(t Table, key []byte) error // deleting an absent key is not an error
	Cursor(t Table) Cursor

	// Sequence returns a number from the store-wide counter name and
	// advances it. The numbers of transactions that commit are unique,
	// and each is greater than every number of name returned to a
	// transaction that committed before this call. Transactions that
	// overlap may get their numbers in either order, and one that does
	// not commit may leave a gap. A counter never used starts at 1.
	// Sequence fails in a read-only transaction.
	//
	// The guarantee is deliberately the one a shared database gives
	// without a point every writer waits on: PostgreSQL implements it as
	// nextval() of a SEQUENCE (CACHE 1; CockroachDB and YugabyteDB have
	// sequences too), which is not rolled back and does not take a lock
	// held to commit. A counter row updated in each transaction would
	// give commit order, but would serialise every writer of the cluster
	// on that row. Callers that need the numbers of one entity in
	// commit order read the entity in the same transaction and allocate
	// above it (meta.NextVersionSeq): under serializable isolation two
	// writers of one entity conflict, and the later one sees the
	// earlier's number.
	Sequence(name string) (uint64, error)
	// RaiseSequence makes every later number of name greater than floor;
	// it never lowers the counter. It initialises a counter above numbers
	// that exist already (data written before the counter did), once, at
	// start: it is not for every transaction. PostgreSQL: setval() when
	// the SEQUENCE's last_value is below floor. Fails in a read-only
	// transaction.
	RaiseSequence(name string, floor uint64) error
}

// Cursor walks a table in ascending byte order of keys. A nil key means the
// cursor is past the end. A Cursor must not be used after Put or Delete on
// the same table in the same transaction; Seek again instead.
type Cursor interface {
	Seek(key []byte) (k, v []byte) // first key >= key
	Next() (k, v []byte)
}
