package kms

import (
	"context"

	"github.com/google/uuid"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
)

// AWS managed keys. Kura has one, aws/s3, created per account the first time
// anything names alias/aws/s3. It rotates every year and cannot be
// disabled, scheduled for deletion, re-policied, tagged, aliased or have
// its rotation changed.

const (
	managedAliasS3       = "alias/aws/s3"
	managedS3Description = "Default key that protects my S3 objects when no other key is defined"
)

// ManagedKey returns the caller's AWS managed key for service (only "s3"
// exists), creating it on first use. It is DescribeKey of alias/aws/<service>
// and audited as such.
func (s *Service) ManagedKey(ctx context.Context, c kura.Call, service string) (KeyMetadata, error) {
	if service != "s3" {
		return KeyMetadata{}, errValidation("There is no AWS managed key for service %q.", service)
	}
	return s.DescribeKey(ctx, c, managedAliasS3)
}

// materializeManaged returns account's aws/s3 key, creating it and its
// alias if absent.
func (s *Service) materializeManaged(ctx context.Context, account string) (*keyRecord, error) {
	now := s.clock()
	fresh := &keyRecord{
		ID: uuid.NewString(), Account: account, Description: managedS3Description,
		State: KeyStateEnabled, Manager: KeyManagerAWS, Created: now,
		Policy:   managedPolicy(account, s.region, "s3"),
		Rotation: rotation{Enabled: true, PeriodDays: defaultRotationDays, Next: now.Add(defaultRotationDays * day)},
	}
	m, err := s.newMaterial(fresh.ID, now, "")
	if err != nil {
		return nil, err
	}
	fresh.Materials = []material{m}
	var out *keyRecord
	created := false
	ev := s.serviceEvent("CreateKey", fresh, map[string]any{"keyManager": KeyManagerAWS, "aliasName": managedAliasS3})
	err = s.serviceChange(ctx, ev, func(ctx context.Context) (bool, error) {
		err := s.meta.Update(ctx, func(tx meta.Tx) error {
			out, created = nil, false
			a, err := getAlias(tx, account, managedAliasS3)
			if err != nil {
				return err
			}
			if a != nil {
				out, err = getKeyRecord(tx, a.KeyID)
				if err != nil || out != nil {
					return err
				}
			}
			if err := putKeyRecord(tx, fresh); err != nil {
				return err
			}
			out, created = fresh, true
			return putAlias(tx, &aliasRecord{Name: managedAliasS3, Account: account, KeyID: fresh.ID, Created: now, Updated: now})
		})
		return created, err
	})
	if err != nil {
		return nil, err
	}
	if created {
		s.log.Info("kms: created AWS managed key", "alias", managedAliasS3, "key", KeyARN(s.region, account, fresh.ID))
	}
	return out, nil
}
