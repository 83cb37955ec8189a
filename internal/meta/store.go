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
	TableBlobGC   Table = "blobgc"   // blob id → nothing: blobs to delete once their metadata is gone
	TableSystem   Table = "system"   // singletons named in system.go

	// TableAuditOutbox holds the audit events of changes committed but not
	// yet known to be in the audit trail: event id → encoded audit.Event
	// (internal/audit, outbox.go).
	TableAuditOutbox Table = "audit_outbox"

	TableKMSKeys        Table = "kms_keys"         // KMS key id → kms key record
	TableKMSAccountKeys Table = "kms_account_keys" // account 0x00 key id → nothing: ListKeys index
	TableKMSAliases     Table = "kms_aliases"      // account 0x00 alias name → kms alias record

	TableIAMAccounts Table = "iam_accounts" // account id → iam account record
	TableIAMUsers    Table = "iam_users"    // account 0x00 lower-case user name → iam user record
	TableIAMKeys     Table = "iam_keys"     // access key id → iam access key record (secret sealed)
	TableIAMRoles    Table = "iam_roles"    // account 0x00 lower-case role name → iam role record
	TableIAMPolicies Table = "iam_policies" // account 0x00 lower-case policy name → iam managed policy record
	TableIAMSessions Table = "iam_sessions" // temporary access key id → iam session record (secret sealed)
)

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
}

// Cursor walks a table in ascending byte order of keys. A nil key means the
// cursor is past the end. A Cursor must not be used after Put or Delete on
// the same table in the same transaction; Seek again instead.
type Cursor interface {
	Seek(key []byte) (k, v []byte) // first key >= key
	Next() (k, v []byte)
}
