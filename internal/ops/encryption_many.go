package ops

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/object"
)

// EncryptionOutcome is one object's result of UpdateObjectEncryptionMany.
type EncryptionOutcome struct {
	Result EncryptionResult
	Err    error
}

// UpdateObjectEncryptionMany is UpdateObjectEncryption of many objects of
// one bucket, all as call, to one target: each object is its own
// operation — authorized, audited (its own event, staged in the outbox
// with its change) and counted exactly as UpdateObjectEncryption — but
// their re-seals are committed in one metadata transaction
// (object.Service.UpdateEncryptionMany), the group commit a Batch
// Operations job needs to re-seal thousands of objects a second. Not for
// the HTTP front (one request is one object).
func (s *Service) UpdateObjectEncryptionMany(ctx context.Context, call kura.Call, bucket string, targets []Target, enc object.EncryptionTarget) []EncryptionOutcome {
	out := make([]EncryptionOutcome, len(targets))
	runs := make([]*run, len(targets))
	ctxs := make([]context.Context, len(targets))
	var items []object.ResealItem
	var idx []int
	// With a bucket key the key check's encryption context is the
	// bucket's ARN: the same question for every object, decided once.
	var keyOK *error
	// The bucket once for all (a bucket changed meanwhile is seen by the
	// commit's checks, as it would be between one object's checks and
	// its commit).
	// Without a bucket key every object is its own KMS Encrypt (and its
	// own permission check): the first check looks the key up for the
	// whole group (authorizeUOEKey keeps it in enc.Keys).
	b, berr := s.obj.Bucket(ctx, bucket)
	for i, t := range targets {
		t.Bucket = bucket
		r, rctx := s.begin(ctx, call, specUpdateObjectEncryption, t, nil)
		runs[i], ctxs[i] = r, rctx
		if berr != nil {
			out[i].Err = r.finish(r.spec.status, berr)
			runs[i] = nil
			continue
		}
		r.bucket = b
		err := r.authorize(rctx)
		if err == nil {
			err = enc.Validate()
		}
		if err == nil {
			if enc.BucketKey && keyOK != nil {
				err = *keyOK
			} else {
				err = s.authorizeUOEKey(rctx, r, &enc)
				if enc.BucketKey {
					keyOK = &err
				}
			}
		}
		if err != nil {
			out[i].Err = r.finish(r.spec.status, err)
			runs[i] = nil
			continue
		}
		items = append(items, object.ResealItem{Key: t.Key, VersionID: t.VersionID, Ctx: rctx})
		idx = append(idx, i)
	}
	if len(items) == 0 {
		return out
	}
	acc := object.KeyAccess{Caller: runs[idx[0]].call}
	res := s.obj.UpdateEncryptionMany(ctx, bucket, items, enc, acc, func(tx meta.Tx, j int) error {
		r := runs[idx[j]]
		ev := r.rec
		ev.ResponseElements = nil
		return r.pending.Stage(tx, ev.Event())
	})
	for j, o := range res {
		i := idx[j]
		r := runs[i]
		if o.Err == object.ErrResealRetry {
			// Changed meanwhile: this one alone, as UpdateObjectEncryption
			// would (its event is staged by its context's Pending).
			after, before, err := s.obj.UpdateEncryption(ctxs[i], bucket, targets[i].Key, targets[i].VersionID, enc, object.KeyAccess{Caller: r.call})
			if err == nil {
				o = object.ResealOutcome{After: after, Before: before}
			} else {
				o.Err = err
			}
		}
		if o.Err != nil {
			out[i].Err = r.finish(r.spec.status, o.Err)
			continue
		}
		r.note("previousEncryption", EncryptionAudit(o.Before))
		r.note("newEncryption", EncryptionAudit(o.After.Encryption))
		out[i].Result = EncryptionResult{VersionID: o.After.VersionID, Before: o.Before, After: o.After.Encryption, LastModified: o.After.LastModified}
		r.finish(r.spec.status, nil)
	}
	return out
}
