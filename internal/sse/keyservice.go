package sse

import (
	"context"
	"errors"

	"github.com/kurastore/kura"
)

// KeyService is the KMS the envelope seals data keys with (SSE-KMS,
// DSSE-KMS and S3 Bucket Keys): the handful of AWS KMS operations S3
// makes on a caller's behalf, named for what the envelope does with them.
// Every call carries the caller (kura.Call) so that the KMS can authorize
// it against key policies and grants and record it in its trail, and the
// encryption context the data key is bound to (aws:s3:arn plus the user's
// pairs). Keys are named as AWS KMS names them: key id, key ARN, alias
// name or alias ARN.
//
// The built-in KMS (*kms.Service) satisfies it. A client of a remote AWS
// KMS API (AWS itself, or another Kura deployment — what replication to
// another deployment's keys needs) can satisfy it too: NewDataKey is
// GenerateDataKey with KeySpec AES_256, OpenDataKey Decrypt, SealDataKey
// Encrypt, ResealDataKey ReEncrypt, ResolveKey DescribeKey (the key's ARN,
// failing unless it is Enabled), CheckKeyUse a DryRun of each operation
// (DryRunOperationException meaning "permitted"), and CheckKeyID a local
// check of the identifier's form. Such a client signs as its own
// principal; it may use the call only for its logs.
//
// Errors that are KMS exceptions implement KMSException, so the envelope
// can answer them as S3 does (KMS.NotFoundException, AccessDenied, …);
// any other error is an internal failure.
type KeyService interface {
	// NewDataKey returns a new 256-bit data key in plaintext and sealed
	// under keyID, and the ARN of the key that sealed it.
	NewDataKey(ctx context.Context, call kura.Call, keyID string, encCtx map[string]string) (plaintext, sealed []byte, keyARN string, err error)
	// OpenDataKey recovers a data key sealed by NewDataKey or SealDataKey,
	// and the ARN of the key that had sealed it.
	OpenDataKey(ctx context.Context, call kura.Call, sealed []byte, encCtx map[string]string) (plaintext []byte, keyARN string, err error)
	// SealDataKey seals plaintext (a data key) under keyID.
	SealDataKey(ctx context.Context, call kura.Call, keyID string, plaintext []byte, encCtx map[string]string) (sealed []byte, keyARN string, err error)
	// ResealDataKey seals a sealed data key under dstKeyID without the
	// plaintext leaving the KMS, and returns the ARN of the key that seals
	// the result.
	ResealDataKey(ctx context.Context, call kura.Call, sealed []byte, srcCtx map[string]string, dstKeyID string, dstCtx map[string]string) (resealed []byte, dstKeyARN string, err error)
	// ResolveKey returns the ARN of the key keyID names, failing as a use
	// would if the key cannot be used now (missing, disabled, pending
	// deletion). It is a lookup, not a use: nothing is authorized.
	ResolveKey(ctx context.Context, call kura.Call, keyID string) (keyARN string, err error)
	// CheckKeyUse reports, without using the key, whether call may perform
	// each of actions ("Encrypt", "ReEncryptTo", … without "kms:") on
	// keyID with encCtx: nil, or the first refusal.
	CheckKeyUse(ctx context.Context, call kura.Call, keyID string, encCtx map[string]string, actions ...string) error
	// CheckKeyID checks only the form of a key identifier, as a
	// cryptographic operation would before looking the key up.
	CheckKeyID(keyID string) error
}

// OfflineKeyService is a KeyService that can also recover a data key
// with no caller, no authorization and no audit, from key material it
// holds: what `kura fsck` needs to verify SSE-KMS data. A remote KMS does
// not offer it; serving a request must never use it.
type OfflineKeyService interface {
	KeyService
	// UnsealOffline is OpenDataKey without a caller. A ciphertext whose key
	// was deleted fails with an error that wraps ErrKeyDeleted.
	UnsealOffline(ctx context.Context, sealed []byte, encCtx map[string]string) ([]byte, error)
}

// ErrKeyDeleted says that the KMS key that sealed a data key has been
// deleted: the data is unreadable by design, not damaged.
var ErrKeyDeleted = errors.New("kms: the key that sealed this ciphertext has been deleted")

// KMSException is implemented by a KeyService's errors that are AWS KMS
// exceptions. ErrorCode and ErrorMessage are those of aws-sdk-go-v2's
// smithy.APIError, so a remote client's errors need little adapting.
type KMSException interface {
	error
	// ErrorCode is the exception name: "NotFoundException",
	// "AccessDeniedException", "ThrottlingException", …
	ErrorCode() string
	// ErrorMessage is the message the KMS gave the client.
	ErrorMessage() string
	// HTTPStatusCode is the status of the KMS's response: 400 for what the
	// client caused, 5xx for the KMS's own failures.
	HTTPStatusCode() int
}
