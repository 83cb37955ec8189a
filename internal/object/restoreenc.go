package object

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// RestoreExpect is what an object version must still be for
// RestoreEncryption to put its previous encryption back: exactly what the
// re-seal being undone left, so that a later change is never clobbered.
type RestoreExpect struct {
	// Encryption is the encryption the re-seal set (Type, KMSKeyARN and
	// BucketKeyEnabled are compared).
	Encryption kura.Encryption
	// LastModified is the version's Last-Modified when it was re-sealed
	// (a re-seal keeps it; a new write changes it). Zero: not checked.
	LastModified time.Time
	// Current: the re-seal acted on the object's current version, which
	// must still be the current one.
	Current bool
}

// ErrRestoreChanged is the refusal of a restore whose object changed
// after the re-seal it undoes: the object is left as it is.
var ErrRestoreChanged = s3err.PreconditionFailed

func restoreChanged(format string, args ...any) error {
	return ErrRestoreChanged.WithMessage("Skipped, left as it is: %s", fmt.Sprintf(format, args...))
}

// encName names an encryption in restore messages (no key material).
func encName(e kura.Encryption) string {
	s := string(e.Type)
	if e.Type == kura.SSENone {
		s = "no encryption"
	}
	if e.KMSKeyARN != "" {
		s += " under " + e.KMSKeyARN
		if e.BucketKeyEnabled {
			s += " with a bucket key"
		}
	}
	return s
}

func sameSeal(a, b kura.Encryption) bool {
	return a.Type == b.Type && a.KMSKeyARN == b.KMSKeyARN && a.BucketKeyEnabled == b.BucketKeyEnabled
}

// check refuses a version that is not what the re-seal left.
func (x RestoreExpect) check(v *kura.ObjectVersion) error {
	if !x.LastModified.IsZero() && !v.LastModified.Equal(x.LastModified) {
		return restoreChanged("the object was written again after the job re-sealed it (Last-Modified %s, the job saw %s).",
			v.LastModified.UTC().Format(time.RFC3339Nano), x.LastModified.UTC().Format(time.RFC3339Nano))
	}
	if !sameSeal(v.Encryption, x.Encryption) {
		return restoreChanged("the object is now under %s, not the %s the job set: its encryption changed after the job.",
			encName(v.Encryption), encName(x.Encryption))
	}
	return nil
}

// RestoreEncryption is Kura's own re-seal back to an object version's
// encryption before an UpdateObjectEncryption (the tasks of an undo job):
// to is SSE-S3 (which UpdateObjectEncryption cannot target) or SSE-KMS
// under a key ARN with or without a bucket key. Like UpdateEncryption only
// the version record's encryption block changes (data, ETag,
// Last-Modified, version id stay), KMS is called outside the transaction
// and the commit installs the new seal only if the record still holds the
// one opened. The version must be what expect says, else
// ErrRestoreChanged (412) and nothing changes. It returns the version as
// stored afterwards and its encryption before.
func (s *Service) RestoreEncryption(ctx context.Context, bucket, key, versionID string, expect RestoreExpect, to kura.Encryption, acc KeyAccess) (*kura.ObjectVersion, kura.Encryption, error) {
	switch to.Type {
	case kura.SSES3:
	case kura.SSEKMS:
		if err := (EncryptionTarget{KMSKeyARN: to.KMSKeyARN}).Validate(); err != nil {
			return nil, kura.Encryption{}, err
		}
	default:
		return nil, kura.Encryption{}, s3err.InvalidRequest.WithMessage("An object's encryption can be restored to SSE-S3 or SSE-KMS, not %s.", encName(to))
	}
	if !s.env.HasKMS() {
		return nil, kura.Encryption{}, s3err.NotImplemented.WithMessage("Restoring an object's encryption needs the built-in KMS, which this server was started without.")
	}
	for range maxResealAttempts {
		var v *kura.ObjectVersion
		err := s.meta.View(ctx, func(tx meta.Tx) error {
			var err error
			if v, err = lookup(tx, bucket, key, versionID); err != nil {
				return err
			}
			if expect.Current {
				cur, err := lookupVersion(tx, bucket, key, "")
				if err != nil || cur.VersionID != v.VersionID {
					return restoreChanged("a newer version of the object was written (or it was deleted) after the job re-sealed version %s.", v.VersionID)
				}
			}
			return nil
		})
		if s3err.Is(err, s3err.NoSuchVersion) || s3err.Is(err, s3err.NoSuchKey) {
			return nil, kura.Encryption{}, restoreChanged("the version the job re-sealed no longer exists.")
		}
		if err != nil {
			return nil, kura.Encryption{}, s3err.Internal(withMethod(err, "PUT"))
		}
		if err := expect.check(v); err != nil {
			return nil, kura.Encryption{}, err
		}
		if v.Locked(s.now()) {
			return nil, kura.Encryption{}, ErrUOEObjectLock
		}
		req := sse.Request{Type: to.Type}
		if to.Type == kura.SSEKMS {
			bk := to.BucketKeyEnabled
			req.KMSKeyID, req.BucketKey, req.Context = to.KMSKeyARN, &bk, v.Encryption.Context
		}
		enc, err := s.env.Reseal(ctx, v.Encryption, v.Bucket, v.Key, req, acc)
		if err != nil {
			return nil, kura.Encryption{}, err
		}
		after, err := s.commitReseal(ctx, v, nil, expect.Current, enc)
		if errors.Is(err, errResealConflict) {
			continue // read again: a real change is then refused above
		}
		if err != nil {
			return nil, kura.Encryption{}, s3err.Internal(err)
		}
		return after, v.Encryption, nil
	}
	return nil, kura.Encryption{}, s3err.OperationAborted.WithMessage("The object version kept changing while its encryption was being restored. Try again.")
}
