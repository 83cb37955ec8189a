package object

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// EncryptionTarget is the encryption UpdateObjectEncryption asks for. S3
// accepts only SSE-KMS as a new encryption type, named by a full key ARN;
// BucketKey does not inherit the bucket's setting (omitted means false).
type EncryptionTarget struct {
	KMSKeyARN string
	BucketKey bool
	// resolved: KMSKeyARN has been resolved and found usable for this
	// work already (UpdateEncryptionMany does it once per group).
	resolved bool
	// Keys, when set, is KMSKeyARN resolved for the caller's group of
	// re-seals (Service.BatchKey): without a bucket key each re-seal's
	// Encrypt uses it instead of looking the key up again.
	Keys *sse.BatchedKey
}

// The refusals of UpdateObjectEncryption, word for word as the S3 API
// reference gives them (seed 003).
var (
	ErrUOEUnencryptedSource = s3err.InvalidRequest.WithMessage("%s", "The UpdateObjectEncryption operation doesn't supported unencrypted source objects. Only source objects encrypted with SSE-S3 or SSE-KMS are supported.")
	ErrUOEUnsupportedSource = s3err.InvalidRequest.WithMessage("%s", "The UpdateObjectEncryption operation doesn't support source objects with the encryption type DSSE-KMS or SSE-C. Only source objects encrypted with SSE-S3 or SSE-KMS are supported.")
	ErrUOEUnsupportedTarget = s3err.InvalidRequest.WithMessage("%s", "The UpdateObjectEncryption operation doesn't support updating the encryption type to DSSE-KMS or SSE-C. Modify the request to specify SSE-KMS for the updated encryption type, and then try again.")
	ErrUOESignatureVersion  = s3err.InvalidRequest.WithMessage("%s", "Requests that modify an object encryption configuration require Amazon Web Services Signature Version 4. Modify the request to use Amazon Web Services Signature Version 4, and then try again.")
	ErrUOEInvalidTarget     = s3err.InvalidRequest.WithMessage("%s", "Requests that modify an object encryption configuration require a valid new encryption type. Valid values are SSEKMS. Modify the request to specify SSE-KMS for the updated encryption type, and then try again.")
	ErrUOEMissingKeyARN     = s3err.InvalidRequest.WithMessage("%s", "Requests that modify an object's encryption type to SSE-KMS require an Amazon Web Services KMS key Amazon Resource Name (ARN). Modify the request to specify a KMS key ARN, and then try again.")
	ErrUOEInvalidKeyARN     = s3err.InvalidRequest.WithMessage("%s", "Requests that modify an object's encryption type to SSE-KMS require a valid Amazon Web Services KMS key Amazon Resource Name (ARN). Confirm that you have a correctly formatted KMS key ARN in your request, and then try again.")
	ErrUOEInvalidBucketKey  = s3err.InvalidRequest.WithMessage("%s", "The BucketKeyEnabled value isn't valid. Valid values are true or false. Modify the request to specify a valid value, and then try again.")
	ErrUOEKeyAccount        = s3err.AccessDenied.WithMessage("%s", "The Amazon Web Services KMS key in the request must be owned by the same account as the bucket. Modify the request to specify a KMS key from the same account, and then try again.")
	ErrUOEObjectLock        = s3err.AccessDenied.WithMessage("%s", "The encryption type for the specified object can’t be updated because that object is protected by S3 Object Lock. If the object has a governance-mode retention period or a legal hold, you must first remove the Object Lock status on the object before you issue your UpdateObjectEncryption request. You can't use the UpdateObjectEncryption operation with objects that have an Object Lock compliance mode retention period applied to them.")
)

// kmsKeyARNPattern is the model's NonEmptyKmsKeyArnString: a full key ARN.
// Key ids, alias names and alias ARNs do not match.
var kmsKeyARNPattern = regexp.MustCompile(`^arn:aws[a-zA-Z0-9-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$`)

// Validate checks the target the way S3 does before looking at the object.
func (t EncryptionTarget) Validate() error {
	switch {
	case t.KMSKeyARN == "":
		return ErrUOEMissingKeyARN
	case len(t.KMSKeyARN) < 20 || len(t.KMSKeyARN) > 2048 || !kmsKeyARNPattern.MatchString(t.KMSKeyARN):
		return ErrUOEInvalidKeyARN
	}
	return nil
}

// keyARNAccount is the account field of a key ARN that passed Validate.
func keyARNAccount(arn string) string { return strings.Split(arn, ":")[4] }

// maxResealAttempts bounds how often UpdateEncryption starts over when the
// version record changed between reading it and committing the new seal.
const maxResealAttempts = 8

// errResealConflict says the version record changed under a re-seal.
var errResealConflict = errors.New("object version changed during re-seal")

// UpdateEncryption is UpdateObjectEncryption: it re-seals the data key of
// one object version (the current one when versionID is empty) under
// target, and returns the version as stored afterwards and the encryption
// it had before.
//
// Only the version record's encryption block changes. The blob is never
// read or written, so the data, its ETag, checksums, Last-Modified, storage
// class, tags, version id and every other property stay as they were, and
// archived versions need no restore. Multipart parts are keyed from the
// one data key, so re-sealing it re-keys every part.
//
// KMS is called before the metadata transaction, never inside it; the
// transaction then installs the new seal only if the record still holds
// the seal that was opened, starting over otherwise (bounded). Asking for
// the state the version is already in re-seals anyway: the data key then
// moves to the KMS key's current material, and the answer is the same 200.
func (s *Service) UpdateEncryption(ctx context.Context, bucket, key, versionID string, target EncryptionTarget, acc KeyAccess) (*kura.ObjectVersion, kura.Encryption, error) {
	if err := target.Validate(); err != nil {
		return nil, kura.Encryption{}, err
	}
	if !s.env.HasKMS() {
		return nil, kura.Encryption{}, s3err.NotImplemented.WithMessage("UpdateObjectEncryption needs the built-in KMS, which this server was started without.")
	}
	for range maxResealAttempts {
		v, raw, err := s.resealSource(ctx, bucket, key, versionID, target)
		if err != nil {
			return nil, kura.Encryption{}, err
		}
		enc, err := s.reseal(ctx, v, target, acc)
		if err != nil {
			return nil, kura.Encryption{}, err
		}
		after, err := s.commitReseal(ctx, v, raw, versionID == "", enc)
		if errors.Is(err, errResealConflict) {
			continue
		}
		if err != nil {
			return nil, kura.Encryption{}, s3err.Internal(err)
		}
		return after, v.Encryption, nil
	}
	return nil, kura.Encryption{}, s3err.OperationAborted.WithMessage("The object version kept changing while its encryption was being updated. Try again.")
}

// resealSource reads the version to re-seal and applies S3's refusals: a
// KMS key of another account, a source that is not SSE-S3 or SSE-KMS, and
// Object Lock protection (which has no bypass for this operation). It also
// returns the version's record as stored, so that the commit need not
// decode it again when it has not changed.
func (s *Service) resealSource(ctx context.Context, bucket, key, versionID string, target EncryptionTarget) (*kura.ObjectVersion, []byte, error) {
	var v *kura.ObjectVersion
	var raw []byte
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		b, err := getBucket(tx, bucket)
		if err != nil {
			return err
		}
		// Organizations-wide keys are not modelled: the key must be the
		// bucket owner's.
		if keyARNAccount(target.KMSKeyARN) != b.Owner {
			return ErrUOEKeyAccount
		}
		if v, err = lookupVersion(tx, bucket, key, versionID); err != nil {
			return err
		}
		stored, err := tx.Get(meta.TableVersions, meta.VersionKey(bucket, key, v.Seq))
		raw = bytes.Clone(stored)
		return err
	})
	if err != nil {
		return nil, nil, s3err.Internal(withMethod(err, "PUT"))
	}
	switch v.Encryption.Type {
	case kura.SSES3, kura.SSEKMS:
	case kura.SSENone:
		return nil, nil, ErrUOEUnencryptedSource
	default:
		return nil, nil, ErrUOEUnsupportedSource
	}
	if v.Locked(s.now()) {
		return nil, nil, ErrUOEObjectLock
	}
	return v, raw, nil
}

// reseal seals v's data key under target (sse.Envelope.Reseal) and
// returns the new encryption block: exactly what a PUT in that mode would
// have stored, so reads need nothing new. The user encryption context is
// kept.
func (s *Service) reseal(ctx context.Context, v *kura.ObjectVersion, target EncryptionTarget, acc KeyAccess) (kura.Encryption, error) {
	bucketKey := target.BucketKey
	return s.env.Reseal(ctx, v.Encryption, v.Bucket, v.Key,
		sse.Request{Type: kura.SSEKMS, KMSKeyID: target.KMSKeyARN, BucketKey: &bucketKey, Context: v.Encryption.Context,
			Resolved: target.resolved, Batch: target.Keys}, acc)
}

// commitReseal installs enc as read's encryption block in one transaction,
// provided the record still holds the seal that was opened (and, for a
// request naming no version, is still the current version). Everything
// else in the record is kept as it is now, so concurrent tag or retention
// updates are not lost. raw, when not nil, is read's record as it was
// read (resealSource).
func (s *Service) commitReseal(ctx context.Context, read *kura.ObjectVersion, raw []byte, mustBeCurrent bool, enc kura.Encryption) (*kura.ObjectVersion, error) {
	var out *kura.ObjectVersion
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		var err error
		out, err = s.resealed(tx, read, raw, mustBeCurrent, enc)
		return err
	})
	return out, err
}

func sameEncryption(a, b kura.Encryption) bool {
	return a.Type == b.Type && a.KMSKeyARN == b.KMSKeyARN && a.BucketKeyEnabled == b.BucketKeyEnabled &&
		a.Context == b.Context && bytes.Equal(a.SealedKey, b.SealedKey) && bytes.Equal(a.SealedKey2, b.SealedKey2) &&
		bytes.Equal(a.BucketKeyBlob, b.BucketKeyBlob)
}
