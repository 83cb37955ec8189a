package object

import (
	"context"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// Object Lock (write-once retention) lives in three places: the bucket's
// ObjectLockEnabled flag and default rule, and each version's Retention and
// legal hold. This file holds the rules; the operations that create or
// remove versions call them so that a protected version can neither be
// deleted nor have its protection weakened.

// The retention modes.
const (
	Governance = "GOVERNANCE"
	Compliance = "COMPLIANCE"
)

// Upper bounds of a bucket's default retention period (S3: 100 years).
const (
	MaxRetentionDays  = 36500
	MaxRetentionYears = 100
)

var (
	// ErrLockNotEnabled answers lock operations and lock headers on a
	// bucket created without Object Lock.
	ErrLockNotEnabled = s3err.InvalidRequest.WithMessage("Bucket is missing Object Lock Configuration")
	// ErrLocked answers deleting, or weakening the retention of, a
	// protected version.
	ErrLocked = s3err.AccessDenied.WithMessage("Access Denied because object protected by object lock.")
)

// Lock is the Object Lock a write asks for (x-amz-object-lock-* headers of
// PutObject, CopyObject and CreateMultipartUpload).
type Lock struct {
	Retention *kura.Retention // nil: the bucket's default retention applies
	LegalHold *bool           // nil: header absent
}

// Given reports whether the write names any lock setting.
func (l Lock) Given() bool { return l.Retention != nil || l.LegalHold != nil }

// stamp records l on a version or upload being created.
func (l Lock) stamp(ret **kura.Retention, hold, holdSet *bool) {
	if l.Retention != nil {
		r := *l.Retention
		*ret = &r
	}
	if l.LegalHold != nil {
		*hold, *holdSet = *l.LegalHold, true
	}
}

// Now is the service's clock: lock decisions made elsewhere (is a
// retain-until date in the future?) must use the same time as the ones made
// here.
func (s *Service) Now() time.Time { return s.now() }

// CheckLock refuses lock settings for a bucket without Object Lock.
func CheckLock(b *kura.Bucket, l Lock) error {
	if l.Given() && !b.ObjectLockEnabled {
		return ErrLockNotEnabled
	}
	return nil
}

// LockNeedsIntegrity reports whether a PutObject into b with l must carry
// Content-MD5 or an x-amz-checksum-* value, as S3 requires for any write
// that will be retained (explicitly or by the bucket default) or held.
func LockNeedsIntegrity(b *kura.Bucket, l Lock) bool {
	return l.Given() || (b.ObjectLockEnabled && b.ObjectLockRule != nil)
}

// RetainUntil returns the end of a default retention period starting at
// from. S3 counts a year as 365 days.
func RetainUntil(rule *kura.LockRule, from time.Time) time.Time {
	days := rule.Days + 365*rule.Years
	return from.Add(time.Duration(days) * 24 * time.Hour).UTC()
}

// lockNewVersion completes a new version's lock state inside the
// transaction that installs it: a version without explicit retention gets
// the bucket's default, computed from its creation time.
func lockNewVersion(b *kura.Bucket, v *kura.ObjectVersion) error {
	if !b.ObjectLockEnabled {
		if v.Retention != nil || v.LegalHoldSet {
			return ErrLockNotEnabled
		}
		return nil
	}
	if v.Retention == nil && b.ObjectLockRule != nil && !v.DeleteMarker {
		v.Retention = &kura.Retention{Mode: b.ObjectLockRule.Mode, Until: RetainUntil(b.ObjectLockRule, v.LastModified)}
	}
	return nil
}

// checkDelete refuses permanently deleting a protected version. GOVERNANCE
// retention yields to bypass; COMPLIANCE retention and legal holds never
// do. Delete markers are never protected.
func checkDelete(v *kura.ObjectVersion, now time.Time, bypass bool) error {
	if v.DeleteMarker || !v.Locked(now) {
		return nil
	}
	if v.LegalHold || v.Retention.Mode != Governance || !bypass {
		return ErrLocked
	}
	return nil
}

// checkRetentionChange decides whether a version's retention may go from
// cur to next (nil: removed) at now. Extending in the same mode is always
// allowed; shortening, removing or changing the mode of retention still in
// force is allowed only for GOVERNANCE with bypass.
func checkRetentionChange(cur, next *kura.Retention, now time.Time, bypass bool) error {
	if cur == nil || !now.Before(cur.Until) {
		return nil
	}
	if next != nil && next.Mode == cur.Mode && !next.Until.Before(cur.Until) {
		return nil
	}
	if cur.Mode == Governance && bypass {
		return nil
	}
	return ErrLocked
}

// lockBucket returns the bucket after checking it has Object Lock.
func (s *Service) lockBucket(ctx context.Context, bucket string) (*kura.Bucket, error) {
	b, err := s.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if !b.ObjectLockEnabled {
		return nil, ErrLockNotEnabled
	}
	return b, nil
}

// PutBucketLock enables Object Lock on a bucket (which must have
// versioning Enabled, since lock protects versions) and sets its default
// retention; a nil rule removes the default. Object Lock, once enabled,
// stays enabled.
func (s *Service) PutBucketLock(ctx context.Context, bucket string, rule *kura.LockRule) error {
	return s.UpdateBucket(ctx, bucket, func(b *kura.Bucket) error {
		if !b.ObjectLockEnabled && b.Versioning != "Enabled" {
			return s3err.InvalidBucketState.WithMessage("Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
		}
		b.ObjectLockEnabled = true
		b.ObjectLockRule = rule
		return nil
	})
}

// LockedVersion returns a version of a bucket with Object Lock, for
// GetObjectRetention and GetObjectLegalHold.
func (s *Service) LockedVersion(ctx context.Context, bucket, key, versionID string) (*kura.ObjectVersion, error) {
	if _, err := s.lockBucket(ctx, bucket); err != nil {
		return nil, err
	}
	return s.Head(ctx, bucket, key, versionID)
}

// PutRetention sets a version's retention (r nil removes it), refusing
// changes that would weaken protection still in force (see
// checkRetentionChange). The caller has checked r lies in the future.
func (s *Service) PutRetention(ctx context.Context, bucket, key, versionID string, r *kura.Retention, bypass bool) (*kura.ObjectVersion, error) {
	if _, err := s.lockBucket(ctx, bucket); err != nil {
		return nil, err
	}
	now := s.now()
	return s.UpdateVersion(ctx, bucket, key, versionID, func(v *kura.ObjectVersion) error {
		if err := checkRetentionChange(v.Retention, r, now, bypass); err != nil {
			return err
		}
		v.Retention = nil
		if r != nil {
			c := *r
			v.Retention = &c
		}
		return nil
	})
}

// PutLegalHold places or lifts a version's legal hold. Anyone allowed to
// call it may do either: a legal hold has no mode and no expiry.
func (s *Service) PutLegalHold(ctx context.Context, bucket, key, versionID string, on bool) (*kura.ObjectVersion, error) {
	if _, err := s.lockBucket(ctx, bucket); err != nil {
		return nil, err
	}
	return s.UpdateVersion(ctx, bucket, key, versionID, func(v *kura.ObjectVersion) error {
		v.LegalHold, v.LegalHoldSet = on, true
		return nil
	})
}
