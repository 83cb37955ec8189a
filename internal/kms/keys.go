package kms

import (
	"context"
	"encoding/base64"
	"errors"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/policy"
)

// KeyMetadata describes a KMS key (DescribeKey, CreateKey).
type KeyMetadata struct {
	AWSAccountId         string
	KeyId                string // the bare key id
	Arn                  string
	CreationDate         time.Time
	Enabled              bool
	Description          string
	KeyUsage             string // ENCRYPT_DECRYPT
	KeyState             KeyState
	DeletionDate         time.Time // set only in PendingDeletion
	Origin               string    // AWS_KMS
	KeyManager           string    // CUSTOMER or AWS
	KeySpec              string    // SYMMETRIC_DEFAULT
	EncryptionAlgorithms []string
	MultiRegion          bool
	CurrentKeyMaterialId string
}

// Tag is a key tag.
type Tag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

// CreateKeyInput is CreateKey's request. Only symmetric encryption keys
// with KMS-generated material exist in Kura: KeyUsage, KeySpec,
// CustomerMasterKeySpec and Origin may only name those, and custom key
// stores and multi-Region keys are unsupported.
type CreateKeyInput struct {
	Policy                         string `json:",omitempty"`
	Description                    string `json:",omitempty"`
	KeyUsage                       string `json:",omitempty"`
	KeySpec                        string `json:",omitempty"`
	CustomerMasterKeySpec          string `json:",omitempty"`
	Origin                         string `json:",omitempty"`
	CustomKeyStoreId               string `json:",omitempty"`
	XksKeyId                       string `json:",omitempty"`
	BypassPolicyLockoutSafetyCheck bool   `json:",omitempty"`
	Tags                           []Tag  `json:",omitempty"`
	MultiRegion                    bool   `json:",omitempty"`
}

const (
	keyUsageEncrypt  = "ENCRYPT_DECRYPT"
	keySpecSymmetric = "SYMMETRIC_DEFAULT"
	originKMS        = "AWS_KMS"
	maxDescription   = 8192
)

func (s *Service) metadata(r *keyRecord) KeyMetadata {
	md := KeyMetadata{
		AWSAccountId: r.Account, KeyId: r.ID, Arn: KeyARN(s.region, r.Account, r.ID),
		CreationDate: r.Created, Enabled: r.State == KeyStateEnabled, Description: r.Description,
		KeyUsage: keyUsageEncrypt, KeyState: r.State, Origin: originKMS, KeyManager: r.Manager,
		KeySpec: keySpecSymmetric, EncryptionAlgorithms: []string{keySpecSymmetric},
		CurrentKeyMaterialId: r.current().ID,
	}
	if r.State == KeyStatePendingDeletion {
		md.DeletionDate = r.DeletionDate
	}
	return md
}

// CreateKey creates a customer managed symmetric encryption key with fresh
// material, the default key policy unless in.Policy is given, and in.Tags.
func (s *Service) CreateKey(ctx context.Context, c kura.Call, in CreateKeyInput) (KeyMetadata, error) {
	return run(ctx, s, c, "CreateKey", false, func(ctx context.Context, o *op) (KeyMetadata, error) {
		o.param("description", in.Description)
		o.param("keyUsage", orDefault(in.KeyUsage, keyUsageEncrypt))
		o.param("keySpec", orDefault(in.KeySpec, keySpecSymmetric))
		o.param("origin", orDefault(in.Origin, originKMS))
		o.param("bypassPolicyLockoutSafetyCheck", in.BypassPolicyLockoutSafetyCheck)
		if len(in.Tags) > 0 {
			o.param("tags", in.Tags)
		}
		if err := checkCreateKey(in); err != nil {
			return KeyMetadata{}, err
		}
		if err := s.authorizeAccount(ctx, o, "CreateKey", "*"); err != nil {
			return KeyMetadata{}, err
		}
		id := uuid.NewString()
		policy := in.Policy
		if policy == "" {
			policy = defaultPolicy(c.Principal.AccountID)
		} else if err := checkPolicy(policy); err != nil {
			return KeyMetadata{}, err
		} else if doc, err := s.parseKeyPolicy(policy); err != nil {
			return KeyMetadata{}, err
		} else if !in.BypassPolicyLockoutSafetyCheck {
			if err := s.checkLockout(ctx, o, doc, KeyARN(s.region, c.Principal.AccountID, id), c.Principal.AccountID); err != nil {
				return KeyMetadata{}, err
			}
		}
		tags, err := mergeTags(nil, in.Tags)
		if err != nil {
			return KeyMetadata{}, err
		}
		now := s.clock()
		rec := &keyRecord{
			ID: id, Account: c.Principal.AccountID, Description: in.Description,
			State: KeyStateEnabled, Manager: KeyManagerCustomer, Created: now, Policy: policy, Tags: tags,
		}
		m, err := s.newMaterial(rec.ID, now, "")
		if err != nil {
			return KeyMetadata{}, err
		}
		rec.Materials = []material{m}
		o.resource(rec) // before the change, so that its pending event names the key
		if err := s.meta.Update(ctx, func(tx meta.Tx) error { return putKeyRecord(tx, rec) }); err != nil {
			o.ev.Resources = nil
			return KeyMetadata{}, err
		}
		md := s.metadata(rec)
		o.response("keyMetadata", map[string]any{"keyId": md.KeyId, "arn": md.Arn, "keyState": md.KeyState, "keyManager": md.KeyManager})
		return md, nil
	})
}

func checkCreateKey(in CreateKeyInput) error {
	unsupported := func(what string) error {
		return newError(UnsupportedOperationException, "%s is not supported: Kura's KMS has symmetric encryption keys with KMS-generated key material only.", what)
	}
	switch {
	case len(in.Description) > maxDescription:
		return errConstraint("description", "", "Member must have length less than or equal to 8192")
	case in.KeyUsage != "" && in.KeyUsage != keyUsageEncrypt:
		return unsupported("KeyUsage " + in.KeyUsage)
	case in.KeySpec != "" && in.KeySpec != keySpecSymmetric:
		return unsupported("KeySpec " + in.KeySpec)
	case in.CustomerMasterKeySpec != "" && in.CustomerMasterKeySpec != keySpecSymmetric:
		return unsupported("CustomerMasterKeySpec " + in.CustomerMasterKeySpec)
	case in.KeySpec != "" && in.CustomerMasterKeySpec != "" && in.KeySpec != in.CustomerMasterKeySpec:
		return errValidation("KeySpec and CustomerMasterKeySpec must not differ.")
	case in.Origin != "" && in.Origin != originKMS:
		return unsupported("Origin " + in.Origin)
	case in.CustomKeyStoreId != "" || in.XksKeyId != "":
		return unsupported("A custom key store")
	case in.MultiRegion:
		return unsupported("A multi-Region key")
	}
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// DescribeKey returns a key's metadata in any key state. keyID may be a key
// id, key ARN, alias name or alias ARN; alias/aws/s3 creates the AWS managed
// key on first use.
func (s *Service) DescribeKey(ctx context.Context, c kura.Call, keyID string) (KeyMetadata, error) {
	return run(ctx, s, c, "DescribeKey", true, func(ctx context.Context, o *op) (KeyMetadata, error) {
		o.param("keyId", keyID)
		rec, err := s.findKey(ctx, o, keyID, true, "DescribeKey")
		if err != nil {
			return KeyMetadata{}, err
		}
		return s.metadata(rec), nil
	})
}

// ResolveKeyARN returns the ARN of the key keyID names (any of the four
// forms), provided it can be used for cryptographic operations now: it
// fails with NotFoundException, DisabledException or
// KMSInvalidStateException otherwise. It is a lookup, not a use of the key,
// and is neither audited nor counted in CallCount.
func (s *Service) ResolveKeyARN(ctx context.Context, c kura.Call, keyID string) (string, error) {
	o := s.check(c)
	if !policy.IsAccountID(c.Principal.AccountID) {
		return "", internalError(errors.New("kms: caller has no valid account id"))
	}
	// No permission check: S3 checks what the caller may do with the key
	// when it uses it (GenerateDataKey, Encrypt, ReEncrypt), and AWS does
	// not ask S3 callers for kms:DescribeKey.
	rec, err := s.lookupKey(ctx, o, keyID, true, "DescribeKey")
	if err == nil {
		err = s.checkUsable(rec)
	}
	if err != nil {
		return "", asError(err)
	}
	return s.arn(rec), nil
}

// checkUsable is the key-state gate of the cryptographic operations.
func (s *Service) checkUsable(rec *keyRecord) error {
	switch rec.State {
	case KeyStateDisabled:
		return errDisabled(KeyARN(s.region, rec.Account, rec.ID))
	case KeyStatePendingDeletion:
		return errPendingDeletion(KeyARN(s.region, rec.Account, rec.ID))
	}
	return nil
}

// ListInput pages a list operation: Limit 0 means the operation's default;
// Marker is the NextMarker of the previous page.
type ListInput struct {
	Limit  int    `json:",omitempty"`
	Marker string `json:",omitempty"`
}

// KeyListEntry is one ListKeys entry.
type KeyListEntry struct {
	KeyId  string `json:"KeyId"`
	KeyArn string `json:"KeyArn"`
}

// ListKeysOutput is one page of ListKeys.
type ListKeysOutput struct {
	Keys       []KeyListEntry `json:"Keys"`
	NextMarker string         `json:"NextMarker,omitempty"`
	Truncated  bool           `json:"Truncated"`
}

// ListKeys lists the caller's keys in every state, AWS managed ones
// included, ordered by key id.
func (s *Service) ListKeys(ctx context.Context, c kura.Call, in ListInput) (ListKeysOutput, error) {
	return run(ctx, s, c, "ListKeys", true, func(ctx context.Context, o *op) (ListKeysOutput, error) {
		paramList(o, in)
		if err := s.authorizeAccount(ctx, o, "ListKeys", "*"); err != nil {
			return ListKeysOutput{}, err
		}
		var entries []KeyListEntry
		now := s.clock()
		err := s.meta.View(ctx, func(tx meta.Tx) error {
			entries = nil
			for _, id := range accountKeyIDs(tx, c.Principal.AccountID) {
				rec, err := getKeyRecord(tx, id)
				if err != nil {
					return err
				}
				if rec != nil && !rec.deletionDue(now) {
					entries = append(entries, KeyListEntry{KeyId: id, KeyArn: KeyARN(s.region, c.Principal.AccountID, id)})
				}
			}
			return nil
		})
		if err != nil {
			return ListKeysOutput{}, err
		}
		got, next, err := page(entries, func(e KeyListEntry) string { return e.KeyId }, in, 100, 1000)
		if err != nil {
			return ListKeysOutput{}, err
		}
		return ListKeysOutput{Keys: got, NextMarker: next, Truncated: next != ""}, nil
	})
}

func paramList(o *op, in ListInput) {
	if in.Limit != 0 {
		o.param("limit", in.Limit)
	}
	if in.Marker != "" {
		o.param("marker", in.Marker)
	}
}

// EnableKey moves a Disabled key to Enabled (a no-op for an Enabled key).
func (s *Service) EnableKey(ctx context.Context, c kura.Call, keyID string) error {
	return s.setState(ctx, c, "EnableKey", keyID, KeyStateEnabled)
}

// DisableKey moves an Enabled key to Disabled (a no-op for a Disabled key).
func (s *Service) DisableKey(ctx context.Context, c kura.Call, keyID string) error {
	return s.setState(ctx, c, "DisableKey", keyID, KeyStateDisabled)
}

func (s *Service) setState(ctx context.Context, c kura.Call, name, keyID string, to KeyState) error {
	_, err := run(ctx, s, c, name, false, func(ctx context.Context, o *op) (struct{}, error) {
		o.param("keyId", keyID)
		_, err := s.updateKey(ctx, o, keyID, name, func(rec *keyRecord, _ time.Time) error {
			if rec.State == KeyStatePendingDeletion {
				return errPendingDeletion(KeyARN(s.region, rec.Account, rec.ID))
			}
			rec.State = to
			return nil
		})
		return struct{}{}, err
	})
	return err
}

// ScheduleKeyDeletionOutput is ScheduleKeyDeletion's response.
type ScheduleKeyDeletionOutput struct {
	KeyId               string // key ARN
	DeletionDate        time.Time
	KeyState            KeyState
	PendingWindowInDays int
}

// ScheduleKeyDeletion puts a key in PendingDeletion for pendingWindowInDays
// (7 to 30; 0 means 30). When the window ends the key, its aliases and its
// material are deleted, and everything encrypted under it is unrecoverable.
func (s *Service) ScheduleKeyDeletion(ctx context.Context, c kura.Call, keyID string, pendingWindowInDays int) (ScheduleKeyDeletionOutput, error) {
	return run(ctx, s, c, "ScheduleKeyDeletion", false, func(ctx context.Context, o *op) (ScheduleKeyDeletionOutput, error) {
		o.param("keyId", keyID)
		days := pendingWindowInDays
		if days == 0 {
			days = 30
		}
		o.param("pendingWindowInDays", days)
		if days < 7 || days > 30 {
			return ScheduleKeyDeletionOutput{}, errConstraint("pendingWindowInDays", strconv.Itoa(days),
				"Member must have value between 7 and 30")
		}
		rec, err := s.updateKey(ctx, o, keyID, "ScheduleKeyDeletion", func(rec *keyRecord, now time.Time) error {
			if rec.State == KeyStatePendingDeletion {
				return errPendingDeletion(KeyARN(s.region, rec.Account, rec.ID))
			}
			rec.State = KeyStatePendingDeletion
			rec.PendingDays = days
			rec.DeletionDate = now.Add(time.Duration(days) * 24 * time.Hour)
			return nil
		})
		if err != nil {
			return ScheduleKeyDeletionOutput{}, err
		}
		out := ScheduleKeyDeletionOutput{KeyId: KeyARN(s.region, rec.Account, rec.ID),
			DeletionDate: rec.DeletionDate, KeyState: rec.State, PendingWindowInDays: days}
		o.response("keyId", out.KeyId)
		o.response("deletionDate", out.DeletionDate.Format(time.RFC3339))
		o.response("keyState", out.KeyState)
		o.response("pendingWindowInDays", days)
		return out, nil
	})
}

// CancelKeyDeletion takes a key out of PendingDeletion; it becomes Disabled,
// as in AWS. It returns the key ARN.
func (s *Service) CancelKeyDeletion(ctx context.Context, c kura.Call, keyID string) (string, error) {
	return run(ctx, s, c, "CancelKeyDeletion", false, func(ctx context.Context, o *op) (string, error) {
		o.param("keyId", keyID)
		rec, err := s.updateKey(ctx, o, keyID, "CancelKeyDeletion", func(rec *keyRecord, _ time.Time) error {
			if rec.State != KeyStatePendingDeletion {
				return errNotPendingDeletion(KeyARN(s.region, rec.Account, rec.ID))
			}
			rec.State = KeyStateDisabled
			rec.DeletionDate = time.Time{}
			rec.PendingDays = 0
			return nil
		})
		if err != nil {
			return "", err
		}
		arn := KeyARN(s.region, rec.Account, rec.ID)
		o.response("keyId", arn)
		return arn, nil
	})
}

// page returns the items after in.Marker (the NextMarker of the previous
// page), at most in.Limit of them (def if 0, at most max), and the marker of
// the next page ("" on the last). items must be sorted by key.
func page[T any](items []T, key func(T) string, in ListInput, def, max int) ([]T, string, error) {
	limit := in.Limit
	if limit == 0 {
		limit = def
	}
	if limit < 1 || limit > max {
		return nil, "", errConstraint("limit", strconv.Itoa(limit), "Member must have value between 1 and "+strconv.Itoa(max))
	}
	if len(in.Marker) > 1024 {
		return nil, "", errConstraint("marker", "", "Member must have length less than or equal to 1024")
	}
	start := 0
	if in.Marker != "" {
		after, err := base64.RawURLEncoding.DecodeString(in.Marker)
		if err != nil || len(after) == 0 {
			return nil, "", newError(InvalidMarkerException, "The marker is not valid.")
		}
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > string(after) })
	}
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1])))
	}
	return items[start:end], next, nil
}
