package kms

import (
	"context"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/meta"
)

// maxAliasesPerKey is AWS's quota of aliases per KMS key.
const maxAliasesPerKey = 50

// AliasListEntry is one ListAliases entry. TargetKeyId is empty and the
// dates zero for a predefined AWS alias whose key does not exist yet.
type AliasListEntry struct {
	AliasName       string
	AliasArn        string
	TargetKeyId     string
	CreationDate    time.Time
	LastUpdatedDate time.Time
}

// ListAliasesInput is ListAliases' request; KeyId (key id or ARN) limits the
// list to that key's aliases.
type ListAliasesInput struct {
	KeyId  string `json:",omitempty"`
	Limit  int    `json:",omitempty"`
	Marker string `json:",omitempty"`
}

// ListAliasesOutput is one page of ListAliases.
type ListAliasesOutput struct {
	Aliases    []AliasListEntry
	NextMarker string
	Truncated  bool
}

func (o *op) aliasResource(account, name string) {
	o.ev.Resources = append(o.ev.Resources, audit.Resource{
		ARN: AliasARN(o.s.region, account, name), AccountID: account, Type: "AWS::KMS::Alias"})
}

// prepareAlias does what CreateAlias and UpdateAlias share before they
// write: it records the parameters, checks the alias name, authorizes
// action on the alias (identity policies) and on the target key (its key
// policy), and resolves the target.
func (s *Service) prepareAlias(ctx context.Context, o *op, action, aliasName, targetKeyID string) (*keyRecord, error) {
	o.param("aliasName", aliasName)
	o.param("targetKeyId", targetKeyID)
	if err := checkCustomerAlias(aliasName); err != nil {
		return nil, err
	}
	if err := s.authorizeAccount(ctx, o, action, AliasARN(s.region, o.c.Principal.AccountID, aliasName)); err != nil {
		return nil, err
	}
	target, err := s.aliasTarget(ctx, o, targetKeyID, action)
	if err != nil {
		return nil, err
	}
	o.aliasResource(o.c.Principal.AccountID, aliasName)
	return target, nil
}

// CreateAlias creates aliasName (alias/..., not alias/aws/...) for a
// customer managed key of the caller's account that is not pending
// deletion.
func (s *Service) CreateAlias(ctx context.Context, c kura.Call, aliasName, targetKeyID string) error {
	_, err := run(ctx, s, c, "CreateAlias", false, func(ctx context.Context, o *op) (struct{}, error) {
		target, err := s.prepareAlias(ctx, o, "CreateAlias", aliasName, targetKeyID)
		if err != nil {
			return struct{}{}, err
		}
		now := s.clock()
		return struct{}{}, s.meta.Update(ctx, func(tx meta.Tx) error {
			existing, err := getAlias(tx, c.Principal.AccountID, aliasName)
			if err != nil {
				return err
			}
			if existing != nil {
				return newError(AlreadyExistsException, "An alias with the name %s already exists",
					AliasARN(s.region, c.Principal.AccountID, aliasName))
			}
			if err := s.checkTargetInTx(tx, target, now); err != nil {
				return err
			}
			all, err := accountAliases(tx, c.Principal.AccountID)
			if err != nil {
				return err
			}
			n := 0
			for _, a := range all {
				if a.KeyID == target.ID {
					n++
				}
			}
			if n >= maxAliasesPerKey {
				return newError(LimitExceededException, "A KMS key can have at most %d aliases.", maxAliasesPerKey)
			}
			return putAlias(tx, &aliasRecord{Name: aliasName, Account: c.Principal.AccountID, KeyID: target.ID, Created: now, Updated: now})
		})
	})
	return err
}

// UpdateAlias points an existing alias at another customer managed key of
// the caller's account.
func (s *Service) UpdateAlias(ctx context.Context, c kura.Call, aliasName, targetKeyID string) error {
	_, err := run(ctx, s, c, "UpdateAlias", false, func(ctx context.Context, o *op) (struct{}, error) {
		target, err := s.prepareAlias(ctx, o, "UpdateAlias", aliasName, targetKeyID)
		if err != nil {
			return struct{}{}, err
		}
		now := s.clock()
		return struct{}{}, s.meta.Update(ctx, func(tx meta.Tx) error {
			a, err := getAlias(tx, c.Principal.AccountID, aliasName)
			if err != nil {
				return err
			}
			if a == nil {
				return errAliasNotFound(AliasARN(s.region, c.Principal.AccountID, aliasName))
			}
			if err := s.checkTargetInTx(tx, target, now); err != nil {
				return err
			}
			a.KeyID, a.Updated = target.ID, now
			return putAlias(tx, a)
		})
	})
	return err
}

// DeleteAlias deletes an alias; the key it points to is unaffected.
func (s *Service) DeleteAlias(ctx context.Context, c kura.Call, aliasName string) error {
	_, err := run(ctx, s, c, "DeleteAlias", false, func(ctx context.Context, o *op) (struct{}, error) {
		o.param("aliasName", aliasName)
		if err := checkCustomerAlias(aliasName); err != nil {
			return struct{}{}, err
		}
		o.aliasResource(c.Principal.AccountID, aliasName)
		if err := s.authorizeAccount(ctx, o, "DeleteAlias", AliasARN(s.region, c.Principal.AccountID, aliasName)); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, s.meta.Update(ctx, func(tx meta.Tx) error {
			a, err := getAlias(tx, c.Principal.AccountID, aliasName)
			if err != nil {
				return err
			}
			if a == nil {
				return errAliasNotFound(AliasARN(s.region, c.Principal.AccountID, aliasName))
			}
			return deleteAlias(tx, c.Principal.AccountID, aliasName)
		})
	})
	return err
}

// aliasTarget resolves the TargetKeyId of CreateAlias/UpdateAlias: a
// customer managed key of the caller, not pending deletion.
func (s *Service) aliasTarget(ctx context.Context, o *op, targetKeyID, action string) (*keyRecord, error) {
	target, err := s.findKey(ctx, o, targetKeyID, false, action)
	if err != nil {
		return nil, err
	}
	arn := KeyARN(s.region, target.Account, target.ID)
	if target.Manager == KeyManagerAWS {
		return nil, errAccessDenied(o.c, action, arn)
	}
	if target.State == KeyStatePendingDeletion {
		return nil, errPendingDeletion(arn)
	}
	return target, nil
}

// checkTargetInTx re-checks an alias target inside the writing transaction.
func (s *Service) checkTargetInTx(tx meta.Tx, target *keyRecord, now time.Time) error {
	cur, err := getKeyRecord(tx, target.ID)
	if err != nil {
		return err
	}
	arn := KeyARN(s.region, target.Account, target.ID)
	if cur == nil || cur.deletionDue(now) {
		return errKeyNotFound(arn)
	}
	if cur.State == KeyStatePendingDeletion {
		return errPendingDeletion(arn)
	}
	return nil
}

// ListAliases lists the caller's aliases ordered by name. Without KeyId the
// list includes the predefined alias/aws/s3, with no target until the AWS
// managed key exists.
func (s *Service) ListAliases(ctx context.Context, c kura.Call, in ListAliasesInput) (ListAliasesOutput, error) {
	return run(ctx, s, c, "ListAliases", true, func(ctx context.Context, o *op) (ListAliasesOutput, error) {
		if in.KeyId != "" {
			o.param("keyId", in.KeyId)
		}
		paramList(o, ListInput{Limit: in.Limit, Marker: in.Marker})
		filter := ""
		// An IAM-only action: no key policy decides it, even with KeyId.
		if err := s.authorizeAccount(ctx, o, "ListAliases", "*"); err != nil {
			return ListAliasesOutput{}, err
		}
		if in.KeyId != "" {
			rec, err := s.lookupKey(ctx, o, in.KeyId, false, "ListAliases")
			if err != nil {
				return ListAliasesOutput{}, err
			}
			filter = rec.ID
		}
		var all []aliasRecord
		now := s.clock()
		err := s.meta.View(ctx, func(tx meta.Tx) error {
			aliases, err := accountAliases(tx, c.Principal.AccountID)
			all = aliases[:0]
			for _, a := range aliases {
				// An alias of a key whose deletion is due is deleted with
				// it at the next access or DeleteDue; it is gone already.
				rec, err := getKeyRecord(tx, a.KeyID)
				if err != nil {
					return err
				}
				if rec != nil && !rec.deletionDue(now) {
					all = append(all, a)
				}
			}
			return err
		})
		if err != nil {
			return ListAliasesOutput{}, err
		}
		var entries []AliasListEntry
		sawManaged := false
		for _, a := range all {
			if filter != "" && a.KeyID != filter {
				continue
			}
			if !sawManaged && filter == "" && a.Name > managedAliasS3 {
				entries = append(entries, AliasListEntry{AliasName: managedAliasS3,
					AliasArn: AliasARN(s.region, c.Principal.AccountID, managedAliasS3)})
			}
			sawManaged = sawManaged || a.Name >= managedAliasS3
			entries = append(entries, AliasListEntry{AliasName: a.Name, AliasArn: AliasARN(s.region, a.Account, a.Name),
				TargetKeyId: a.KeyID, CreationDate: a.Created, LastUpdatedDate: a.Updated})
		}
		if !sawManaged && filter == "" {
			entries = append(entries, AliasListEntry{AliasName: managedAliasS3,
				AliasArn: AliasARN(s.region, c.Principal.AccountID, managedAliasS3)})
		}
		got, next, err := page(entries, func(e AliasListEntry) string { return e.AliasName }, ListInput{Limit: in.Limit, Marker: in.Marker}, 50, 1000)
		if err != nil {
			return ListAliasesOutput{}, err
		}
		return ListAliasesOutput{Aliases: got, NextMarker: next, Truncated: next != ""}, nil
	})
}
