package object

import (
	"bytes"
	"context"
	"errors"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

// ResealItem is one object version of UpdateEncryptionMany.
type ResealItem struct {
	Key       string
	VersionID string // "" for the current version
	// Ctx is the item's own operation context (its audit Pending, its
	// KMS call tally); nil uses UpdateEncryptionMany's. It is carried in
	// the item because one call serves many operations.
	Ctx context.Context
}

// ResealOutcome is what UpdateEncryptionMany did to one item: the
// version as stored after and its encryption before, or the item's
// error. ErrResealRetry says the record changed between the read and the
// commit: UpdateEncryption of that item alone starts it over.
type ResealOutcome struct {
	After  *kura.ObjectVersion
	Before kura.Encryption
	Err    error
}

// ErrResealRetry is an item of UpdateEncryptionMany whose record changed
// while the group was re-sealed; it was left as it is.
var ErrResealRetry = errors.New("object: version changed during a group re-seal; re-seal it alone")

// UpdateEncryptionMany is UpdateEncryption for many versions of one
// bucket at once, for Batch Operations: one read transaction finds them
// all, their data keys are re-sealed outside any transaction (with a
// bucket key, from the cached bucket key: no KMS call), and one write
// transaction installs every new seal, calling stage(tx, i) for each
// item it changes so that the item's audit event is staged with its
// change. The checks and the result of each item are exactly
// UpdateEncryption's; what changes is that a group of re-seals shares a
// commit (and its fsyncs) instead of taking one each.
func (s *Service) UpdateEncryptionMany(ctx context.Context, bucket string, items []ResealItem, target EncryptionTarget, acc KeyAccess,
	stage func(tx meta.Tx, i int) error) []ResealOutcome {
	out := make([]ResealOutcome, len(items))
	fail := func(err error) []ResealOutcome {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	if err := target.Validate(); err != nil {
		return fail(err)
	}
	if !s.env.HasKMS() {
		return fail(s3err.NotImplemented.WithMessage("UpdateObjectEncryption needs the built-in KMS, which this server was started without."))
	}
	read := make([]*kura.ObjectVersion, len(items))
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		b, err := getBucket(tx, bucket)
		if err != nil {
			return err
		}
		if keyARNAccount(target.KMSKeyARN) != b.Owner {
			return ErrUOEKeyAccount
		}
		for i, it := range items {
			v, err := lookupVersion(tx, bucket, it.Key, it.VersionID)
			if err != nil {
				out[i].Err = s3err.Internal(withMethod(err, "PUT"))
				continue
			}
			read[i] = v
		}
		return nil
	})
	if err != nil {
		return fail(s3err.Internal(withMethod(err, "PUT")))
	}
	now := s.now()
	encs := make([]kura.Encryption, len(items))
	for i, v := range read {
		if v == nil {
			continue
		}
		switch v.Encryption.Type {
		case kura.SSES3, kura.SSEKMS:
		case kura.SSENone:
			out[i].Err = ErrUOEUnencryptedSource
			continue
		default:
			out[i].Err = ErrUOEUnsupportedSource
			continue
		}
		if v.Locked(now) {
			out[i].Err = ErrUOEObjectLock
			continue
		}
		ictx := items[i].Ctx
		if ictx == nil {
			ictx = ctx
		}
		if !target.resolved && target.Keys == nil {
			// The key is looked up (and its state checked) once for the
			// group, at its first re-seal, as a lone UpdateEncryption
			// would at its own: the rest of the group reuses the answer.
			// (A group with its key batched has it resolved already.)
			arn, err := s.env.ResolveKey(ictx, target.KMSKeyARN, acc)
			if err != nil {
				out[i].Err, read[i] = err, nil
				continue
			}
			target.KMSKeyARN, target.resolved = arn, true
		}
		if encs[i], out[i].Err = s.reseal(ictx, v, target, acc); out[i].Err != nil {
			read[i] = nil
		}
	}
	after := make([]*kura.ObjectVersion, len(items))
	errs := make([]error, len(items))
	err = s.meta.Update(ctx, func(tx meta.Tx) error {
		for i, v := range read {
			after[i], errs[i] = nil, nil
			if v == nil || out[i].Err != nil {
				continue
			}
			cur, err := s.resealed(tx, v, nil, items[i].VersionID == "", encs[i])
			switch {
			case errors.Is(err, errResealConflict):
				errs[i] = ErrResealRetry
				continue
			case s3err.Is(err, ErrUOEObjectLock):
				errs[i] = err
				continue
			case err != nil:
				return err
			}
			if err := stage(tx, i); err != nil {
				return err
			}
			after[i] = cur
		}
		return nil
	})
	for i, v := range read {
		if v == nil || out[i].Err != nil {
			continue
		}
		switch {
		case err != nil:
			out[i].Err = s3err.Internal(err)
		case errs[i] != nil:
			out[i].Err = errs[i]
		default:
			out[i].After, out[i].Before = after[i], v.Encryption
		}
	}
	return out
}

// resealed installs enc in the version read, in tx, with commitReseal's
// checks: the record must still hold the seal that was opened (and be the
// current version when no version was named) and not be locked.
func (s *Service) resealed(tx meta.Tx, read *kura.ObjectVersion, readRaw []byte, mustBeCurrent bool, enc kura.Encryption) (*kura.ObjectVersion, error) {
	raw, err := tx.Get(meta.TableVersions, meta.VersionKey(read.Bucket, read.Key, read.Seq))
	if errors.Is(err, meta.ErrNotFound) {
		return nil, errResealConflict
	}
	if err != nil {
		return nil, err
	}
	var cur *kura.ObjectVersion
	if readRaw != nil && bytes.Equal(raw, readRaw) {
		// Unchanged since it was read: no second decoding. A shallow
		// copy, as only its encryption block (a value) is replaced.
		c := *read
		cur = &c
	} else if cur, err = meta.DecodeVersion(raw); err != nil {
		return nil, err
	}
	if cur.VersionID != read.VersionID || !sameEncryption(cur.Encryption, read.Encryption) {
		return nil, errResealConflict
	}
	if mustBeCurrent {
		// The newest version is the first key of the object's versions
		// (VersionKey orders them newest first): no record to decode.
		k, _ := meta.Versions(tx).Seek(meta.VersionsPrefix(read.Bucket, read.Key))
		key, seq, ok := meta.SplitVersionKey(read.Bucket, k)
		if !ok || key != read.Key || seq != read.Seq {
			return nil, errResealConflict
		}
	}
	if cur.Locked(s.now()) {
		return nil, ErrUOEObjectLock
	}
	cur.Encryption = enc
	if err := meta.PutVersion(tx, cur); err != nil {
		return nil, err
	}
	return cur, nil
}
