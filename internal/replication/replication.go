// Package replication replicates new object versions to the buckets a
// bucket's replication rules name (S3 Same-Region and Cross-Region
// Replication): it drains the durable queue internal/object writes in the
// transaction that commits each selected version, acts as the rule's
// replication role (assumed as s3.amazonaws.com), is authorized through
// internal/access and the KMS for every source-side and destination-side
// action, and hands each replica to a Destination.
//
// Replication never decrypts object data: the ciphertext is copied and
// only the data key is sealed again for the replica (SSE-C: the source's
// seal is kept, since the server never holds the customer's key). Data
// keys are in memory only while a replica is sealed; they are never
// written or logged. The package knows nothing of HTTP and must never
// import net/http.
package replication

import (
	"context"
	"io"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/sse"
)

// Destination is where replicas are stored: a bucket of this deployment
// (Local), or — phase 2 — a bucket of a linked deployment. It decides the
// destination-side permissions itself (s3:ReplicateObject,
// s3:ReplicateTags, s3:ReplicateDelete and the KMS key policy of the
// replica key), under its own bucket policies and its own KMS, because
// only the destination holds them; a refusal is an error that
// access.IsDenied or an s3err AccessDenied recognises.
type Destination interface {
	// PutReplica stores r in r.Bucket as the principal of as (the
	// replication role): a version with the source's version id, its
	// data as r.Ciphertext yields it, its data key sealed for the replica
	// (r.Seal). Storing a replica that is already there succeeds.
	PutReplica(ctx context.Context, as kura.Call, r Replica) error
	// PutDeleteMarker stores the replica of delete marker dm in bucket.
	PutDeleteMarker(ctx context.Context, as kura.Call, bucket string, dm *kura.ObjectVersion) error
	// PutMetadata brings the version of bucket with v's version id up to
	// date with v's tags, ACL (unless ownerOverride: the replica's owner
	// keeps its own), retention and legal hold: a metadata change
	// replicated to a replica, or back from one (ReplicaModifications).
	PutMetadata(ctx context.Context, as kura.Call, bucket string, v *kura.ObjectVersion, ownerOverride bool) error
}

// Replica is one version to store at a destination.
type Replica struct {
	// Bucket is the destination bucket.
	Bucket string
	// Version is the source version's metadata: key, version id, seq,
	// Last-Modified, ETag, size, checksum, headers, tags, Object Lock
	// settings, ACL, parts (their blob ids name source blobs).
	Version *kura.ObjectVersion
	// StorageClass is the rule's destination storage class ("": the
	// source's).
	StorageClass string
	// Account, when set, is the account the rule expects to own the
	// destination bucket; OwnerOverride gives the replica to the
	// destination bucket's owner (AccessControlTranslation).
	Account       string
	OwnerOverride bool
	// Seal says how the replica's data key is sealed.
	Seal Seal
	// Keys are the source version's data keys, opened as the role at the
	// source; empty when Seal.Keep is set. In memory only: a remote
	// Destination must send them sealed for the peer (see
	// docs/replication.md), never as they are.
	Keys sse.DataKeys
	// Ciphertext reads one of the source's blobs as stored.
	Ciphertext func(ctx context.Context, blobID string) (io.ReadCloser, error)
}

// Seal is how a replica's data key is sealed at the destination.
type Seal struct {
	// Type is SSE-S3 (the destination's managed key), SSE-KMS or
	// DSSE-KMS (under KMSKeyID, the rule's ReplicaKmsKeyID).
	Type     kura.SSEType
	KMSKeyID string
	// Context is the source's user encryption context (JSON), kept.
	Context string
	// Keep, when set, is stored as it is: the SSE-C source's encryption
	// block, whose seal only the customer's key opens, bound to the
	// source bucket (SealBucket).
	Keep *kura.Encryption
}

// Roles assumes replication roles as the S3 service (iam.Service).
type Roles interface {
	AssumeRoleAsService(ctx context.Context, roleARN, service string) (kura.Principal, error)
}

// Backoff is the delay before attempt n+1 after n failed attempts of a
// replication that may succeed later (the destination unreachable, a
// transient error): doubling from a second, capped at ten minutes.
func Backoff(n int) time.Duration {
	d := time.Second
	for i := 1; i < n && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

// MaxAttempts is how many times a transient failure is retried before the
// version is marked FAILED.
const MaxAttempts = 12
