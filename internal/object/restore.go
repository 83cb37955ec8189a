package object

import (
	"context"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// Archive storage classes are a policy, not a place: the data of a GLACIER
// or DEEP_ARCHIVE version stays in the blob store like any other, sealed the
// same way. What changes is that reading it (GET, and using it as a copy
// source) is refused until RestoreObject has made a temporary copy
// "available". A restore is only a record on the version (kura.Restore);
// its delay is simulated from the clock, so no background job is needed and
// nothing is lost on restart: the state at any instant follows from
// Requested, Ready, Expiry and now.
//
// INTELLIGENT_TIERING versions are never moved to its archive tiers here,
// so they are always readable and never need a restore.

// The storage classes RestoreObject deals with.
const (
	ClassStandard           = "STANDARD"
	ClassGlacier            = "GLACIER"
	ClassDeepArchive        = "DEEP_ARCHIVE"
	ClassIntelligentTiering = "INTELLIGENT_TIERING"
)

// The retrieval tiers of a restore.
const (
	TierStandard  = "Standard"
	TierBulk      = "Bulk"
	TierExpedited = "Expedited"
)

// DefaultRestoreDelay is how long a restore takes unless configured: long
// enough to watch a restore be "in progress", short enough for a demo.
const DefaultRestoreDelay = 5 * time.Second

// MaxRestoreDays bounds RestoreObject's Days, which S3 leaves open; it
// keeps expiry dates printable as HTTP dates.
const MaxRestoreDays = 36500

// Archived reports whether a storage class keeps an object's data
// unreadable until it is restored.
func Archived(class string) bool { return class == ClassGlacier || class == ClassDeepArchive }

// ClassOf is the storage class of a version as S3 names it (records leave
// STANDARD implicit).
func ClassOf(v *kura.ObjectVersion) string { return ClassName(v.StorageClass) }

// ClassName is a recorded storage class as S3 names it: "" is STANDARD.
func ClassName(class string) string {
	if class == "" {
		return ClassStandard
	}
	return class
}

// RestoreState is where a version stands in its restore at one instant.
type RestoreState int

const (
	// NotRestored: no restore was asked for, or its copy has expired.
	NotRestored RestoreState = iota
	// Restoring: asked for and not ready yet.
	Restoring
	// Restored: the temporary copy is readable until Expiry.
	Restored
)

// RestoreStateAt returns the state of v's restore at now.
func RestoreStateAt(v *kura.ObjectVersion, now time.Time) RestoreState {
	r := v.Restore
	switch {
	case r == nil || !now.Before(r.Expiry):
		return NotRestored
	case now.Before(r.Ready):
		return Restoring
	}
	return Restored
}

// RestoreStatus returns the state of v's restore now, as the service's
// clock sees it, with the expiry of a restored copy.
func (s *Service) RestoreStatus(v *kura.ObjectVersion) (RestoreState, time.Time) {
	st := RestoreStateAt(v, s.now())
	if st == Restored {
		return st, v.Restore.Expiry
	}
	return st, time.Time{}
}

// readable refuses to hand out the data of an archived version that has no
// restored copy, as S3 does for GetObject, CopyObject and UploadPartCopy.
func (s *Service) readable(v *kura.ObjectVersion) error {
	if !Archived(v.StorageClass) || RestoreStateAt(v, s.now()) == Restored {
		return nil
	}
	return errInvalidObjectState(v)
}

func errInvalidObjectState(v *kura.ObjectVersion) error {
	return s3err.InvalidObjectState.With("StorageClass", ClassOf(v))
}

// restoreExpiry is when a copy made available at ready for days lapses. S3
// rounds it up to the next midnight UTC, so expiry dates read as whole days.
func restoreExpiry(ready time.Time, days int) time.Time {
	t := ready.UTC().AddDate(0, 0, days)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if day.Equal(t) {
		return day
	}
	return day.AddDate(0, 0, 1)
}

// RestoreInput is a RestoreObject request for an archive restore.
type RestoreInput struct {
	Bucket, Key, VersionID string
	// Days is how long the restored copy stays readable; 0 when the
	// request did not say.
	Days int
	// Tier is Standard, Bulk or Expedited ("" means Standard).
	Tier string
}

// RestoreObject starts a restore of an archived version, or extends the
// life of a copy already restored. started is true when a restore was
// started (S3 answers 202 Accepted) and false when an available copy had
// its expiry moved to Days from now (200 OK). A restore still in progress
// is RestoreAlreadyInProgress; a version that is not archived is
// InvalidObjectState (ObjectAlreadyInActiveTierError for
// INTELLIGENT_TIERING, whose objects never leave the active tier here).
// Only the version record changes: the data is never touched.
func (s *Service) RestoreObject(ctx context.Context, in RestoreInput) (started bool, v *kura.ObjectVersion, err error) {
	tier := in.Tier
	if tier == "" {
		tier = TierStandard
	}
	v, err = s.UpdateVersion(ctx, in.Bucket, in.Key, in.VersionID, func(v *kura.ObjectVersion) error {
		if err := checkRestore(v, in.Days, tier); err != nil {
			return err
		}
		now := s.now().UTC()
		switch RestoreStateAt(v, now) {
		case Restoring:
			return s3err.RestoreAlreadyInProgress
		case Restored:
			// S3 recomputes the period from now, not from the old expiry.
			r := *v.Restore
			r.Days, r.Expiry = in.Days, restoreExpiry(now, in.Days)
			v.Restore, started = &r, false
			return nil
		}
		ready := now.Add(s.restoreDelay)
		v.Restore = &kura.Restore{Requested: now, Ready: ready, Expiry: restoreExpiry(ready, in.Days), Days: in.Days, Tier: tier}
		started = true
		return nil
	})
	if err != nil {
		return false, nil, withMethod(err, "POST")
	}
	return started, v, nil
}

// checkRestore applies S3's rules on what may be restored and how.
func checkRestore(v *kura.ObjectVersion, days int, tier string) error {
	switch {
	case v.StorageClass == ClassIntelligentTiering && days != 0:
		return s3err.InvalidArgument.WithMessage("INTELLIGENT_TIERING objects are not subject to restore expiry. Do not specify Days when restoring this object")
	case v.StorageClass == ClassIntelligentTiering:
		return s3err.ObjectAlreadyInActiveTier
	case !Archived(v.StorageClass):
		return errInvalidObjectState(v)
	case days < 1 || days > MaxRestoreDays:
		return s3err.InvalidArgument.WithMessage("Days must be an integer between 1 and %d for a restore of a %s object.", MaxRestoreDays, v.StorageClass).
			With("ArgumentName", "Days")
	case tier == TierExpedited && v.StorageClass == ClassDeepArchive:
		return s3err.InvalidArgument.WithMessage("Expedited retrievals are not available for the DEEP_ARCHIVE storage class; use Standard or Bulk.").
			With("ArgumentName", "Tier").With("ArgumentValue", tier)
	}
	return nil
}
