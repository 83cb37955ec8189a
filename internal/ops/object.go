package ops

import (
	"context"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// The object operations Batch Operations runs (issue 13). Each one takes
// its input as parsed values (the HTTP front parses the XML and headers;
// a batch job builds them from its operation), checks it as S3 does, in
// S3's order, and returns a plain result. Errors are *s3err.Error.
//
// HTTP statuses of success, as S3 answers them.
const (
	statusOK        = 200
	statusAccepted  = 202
	statusNoContent = 204
)

var (
	specPutObjectTagging = spec{name: "PutObjectTagging", sub: "tagging", existingTags: true, status: statusOK,
		actions: []string{"s3:PutObjectTagging"}, versionActions: []string{"s3:PutObjectVersionTagging"}}
	specDeleteObjectTagging = spec{name: "DeleteObjectTagging", sub: "tagging", existingTags: true, status: statusNoContent,
		actions: []string{"s3:DeleteObjectTagging"}, versionActions: []string{"s3:DeleteObjectVersionTagging"}}
	specPutObjectRetention = spec{name: "PutObjectRetention", sub: "retention", existingTags: true, status: statusOK,
		actions: []string{"s3:PutObjectRetention"}}
	specPutObjectLegalHold = spec{name: "PutObjectLegalHold", sub: "legal-hold", existingTags: true, status: statusOK,
		actions: []string{"s3:PutObjectLegalHold"}}
	// UpdateObjectEncryption needs both (SPEC 9 C2).
	specUpdateObjectEncryption = spec{name: "UpdateObjectEncryption", sub: "encryption", status: statusOK,
		actions: []string{"s3:UpdateObjectEncryption", "s3:PutObject"}}
	specRestoreObject = spec{name: "RestoreObject", sub: "restore", status: statusOK,
		actions: []string{"s3:RestoreObject"}}
)

// WriteResult is the result of an operation that changes one version.
type WriteResult struct {
	// VersionID is the version changed; object.NullVersion for the null
	// version.
	VersionID string
}

// versionResult is r's result for v, and its x-amz-version-id (S3 names
// no version for the null version).
func (r *run) versionResult(v *kura.ObjectVersion) WriteResult {
	if v.VersionID != object.NullVersion {
		r.respond("x-amz-version-id", v.VersionID)
	}
	return WriteResult{VersionID: v.VersionID}
}

// TaggingInput is PutObjectTagging's: the tag set that replaces the
// version's.
type TaggingInput struct {
	Target
	Tags []kura.Tag
}

// PutObjectTagging replaces the tags of an object version.
func (s *Service) PutObjectTagging(ctx context.Context, call kura.Call, in TaggingInput) (WriteResult, error) {
	tags := url.Values{}
	for _, t := range in.Tags {
		tags.Add(t.Key, t.Value)
	}
	conds := map[string][]string{}
	TagConditions(conds, tags)
	r, ctx := s.begin(ctx, call, specPutObjectTagging, in.Target, conds)
	res, err := func() (WriteResult, error) {
		if err := r.authorize(ctx); err != nil {
			return WriteResult{}, err
		}
		if err := object.ValidateTags(in.Tags, 10); err != nil {
			return WriteResult{}, err
		}
		v, err := s.obj.UpdateVersion(ctx, in.Bucket, in.Key, in.VersionID, func(v *kura.ObjectVersion) error {
			v.Tags = in.Tags
			return nil
		})
		if err != nil {
			return WriteResult{}, err
		}
		return r.versionResult(v), nil
	}()
	return res, r.finish(r.spec.status, err)
}

// DeleteObjectTagging removes every tag of an object version.
func (s *Service) DeleteObjectTagging(ctx context.Context, call kura.Call, in Target) (WriteResult, error) {
	r, ctx := s.begin(ctx, call, specDeleteObjectTagging, in, nil)
	res, err := func() (WriteResult, error) {
		if err := r.authorize(ctx); err != nil {
			return WriteResult{}, err
		}
		v, err := s.obj.UpdateVersion(ctx, in.Bucket, in.Key, in.VersionID, func(v *kura.ObjectVersion) error {
			v.Tags = nil
			return nil
		})
		if err != nil {
			return WriteResult{}, err
		}
		return r.versionResult(v), nil
	}()
	return res, r.finish(r.spec.status, err)
}

// RetentionInput is PutObjectRetention's.
type RetentionInput struct {
	Target
	// Retention is the new retention; nil removes it (allowed for a
	// GOVERNANCE retention with the bypass, or one that has lapsed).
	Retention *kura.Retention
	// BypassGovernance asks to shorten or remove a GOVERNANCE retention
	// (x-amz-bypass-governance-retention: true); it counts only if the
	// caller holds s3:BypassGovernanceRetention.
	BypassGovernance bool
	// RetainUntilDate is the retain-until date as the caller wrote it,
	// for the condition keys and the error that names it; "" writes
	// Retention.Until in ISO 8601.
	RetainUntilDate string
}

// PutObjectRetention sets or changes the retention of an object version
// in a bucket with Object Lock.
func (s *Service) PutObjectRetention(ctx context.Context, call kura.Call, in RetentionInput) (WriteResult, error) {
	if in.Retention != nil && in.RetainUntilDate == "" {
		in.RetainUntilDate = in.Retention.Until.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	conds := map[string][]string{}
	if rt := in.Retention; rt != nil {
		LockConditions(conds, rt.Mode, in.RetainUntilDate, "", s.obj.Now())
	}
	r, ctx := s.begin(ctx, call, specPutObjectRetention, in.Target, conds)
	res, err := func() (WriteResult, error) {
		if err := r.authorize(ctx); err != nil {
			return WriteResult{}, err
		}
		rt := in.Retention
		if rt != nil && rt.Mode != object.Governance && rt.Mode != object.Compliance {
			return WriteResult{}, s3err.MalformedXML
		}
		if !r.bucket.ObjectLockEnabled {
			return WriteResult{}, object.ErrLockNotEnabled
		}
		if rt != nil && !rt.Until.After(s.obj.Now()) {
			return WriteResult{}, s3err.InvalidArgument.WithMessage("The retain until date must be in the future!").
				With("ArgumentName", "RetainUntilDate").With("ArgumentValue", in.RetainUntilDate)
		}
		bypass := in.BypassGovernance &&
			r.check(ctx, "s3:BypassGovernanceRetention", access.ObjectARN(in.Bucket, in.Key), nil) == nil
		v, err := s.obj.PutRetention(ctx, in.Bucket, in.Key, in.VersionID, rt, bypass)
		if err != nil {
			return WriteResult{}, err
		}
		return WriteResult{VersionID: v.VersionID}, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// LegalHoldInput is PutObjectLegalHold's.
type LegalHoldInput struct {
	Target
	On bool
}

// PutObjectLegalHold places or removes a legal hold on an object version
// in a bucket with Object Lock.
func (s *Service) PutObjectLegalHold(ctx context.Context, call kura.Call, in LegalHoldInput) (WriteResult, error) {
	conds := map[string][]string{}
	LockConditions(conds, "", "", onOff(in.On), s.obj.Now())
	r, ctx := s.begin(ctx, call, specPutObjectLegalHold, in.Target, conds)
	res, err := func() (WriteResult, error) {
		if err := r.authorize(ctx); err != nil {
			return WriteResult{}, err
		}
		if !r.bucket.ObjectLockEnabled {
			return WriteResult{}, object.ErrLockNotEnabled
		}
		v, err := s.obj.PutLegalHold(ctx, in.Bucket, in.Key, in.VersionID, in.On)
		if err != nil {
			return WriteResult{}, err
		}
		return WriteResult{VersionID: v.VersionID}, nil
	}()
	return res, r.finish(r.spec.status, err)
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}

// EncryptionInput is UpdateObjectEncryption's.
type EncryptionInput struct {
	Target
	Encryption object.EncryptionTarget
}

// EncryptionResult is what UpdateObjectEncryption changed.
type EncryptionResult struct {
	VersionID string
	// Before and After are the version's encryption before and after the
	// change (no key material).
	Before, After kura.Encryption
	// LastModified is the version's (a re-seal keeps it), which an undo
	// job checks to tell a later write from the re-sealed version.
	LastModified time.Time
}

// uoeKeyActions is what UpdateObjectEncryption needs from the target KMS
// key: seed 003's kms:Encrypt, kms:Decrypt, kms:GenerateDataKey and
// kms:ReEncrypt* (both halves). Which of them the re-seal really calls
// depends on the source encryption; all are checked so that the
// documented permission set is exactly what the operation requires.
var uoeKeyActions = []string{"Encrypt", "Decrypt", "GenerateDataKey", "ReEncryptFrom", "ReEncryptTo"}

// UpdateObjectEncryption re-seals the data key of an object version under
// another KMS key (SSE-S3 or SSE-KMS to SSE-KMS) without rewriting its
// data.
func (s *Service) UpdateObjectEncryption(ctx context.Context, call kura.Call, in EncryptionInput) (EncryptionResult, error) {
	r, ctx := s.begin(ctx, call, specUpdateObjectEncryption, in.Target, nil)
	res, err := func() (EncryptionResult, error) {
		if err := r.authorize(ctx); err != nil {
			return EncryptionResult{}, err
		}
		t := in.Encryption
		if err := t.Validate(); err != nil {
			return EncryptionResult{}, err
		}
		if err := s.authorizeUOEKey(ctx, r, &t); err != nil {
			return EncryptionResult{}, err
		}
		after, before, err := s.obj.UpdateEncryption(ctx, in.Bucket, in.Key, in.VersionID, t, object.KeyAccess{Caller: r.call})
		if err != nil {
			return EncryptionResult{}, err
		}
		r.note("previousEncryption", EncryptionAudit(before))
		r.note("newEncryption", EncryptionAudit(after.Encryption))
		return EncryptionResult{VersionID: after.VersionID, Before: before, After: after.Encryption, LastModified: after.LastModified}, nil
	}()
	return res, r.finish(r.spec.status, err)
}

// authorizeUOEKey checks UpdateObjectEncryption's target key before
// anything is re-sealed: it must be the bucket owner's (seed 003's
// AccessDenied otherwise; Organizations-wide keys are not modelled), and
// the caller must hold every permission of uoeKeyActions on it through S3,
// with the encryption context the new seal will carry.
//
// Without a bucket key, the key is looked up once for the re-key (or the
// group: sse.BatchedKey, kept in t.Keys): the permission check and the
// re-seal's Encrypt or ReEncrypt then share that lookup instead of
// reading the key record three times. Each is still decided, audited and
// counted on its own.
func (s *Service) authorizeUOEKey(ctx context.Context, r *run, t *object.EncryptionTarget) error {
	if acct, ok := arnAccount(t.KMSKeyARN); !ok || acct != r.bucket.Owner {
		return object.ErrUOEKeyAccount
	}
	if !t.BucketKey && t.Keys == nil {
		t.Keys = s.obj.BatchKey(ctx, object.KeyAccess{Caller: r.call}, t.KMSKeyARN)
	}
	arn := access.ObjectARN(r.target.Bucket, r.target.Key)
	if t.BucketKey {
		arn = access.BucketARN(r.target.Bucket)
	}
	encCtx := map[string]string{"aws:s3:arn": arn}
	if t.Keys != nil {
		return t.Keys.Permitted(ctx, encCtx, uoeKeyActions...)
	}
	return s.obj.KeyPermitted(ctx, object.KeyAccess{Caller: r.call}, t.KMSKeyARN, encCtx, uoeKeyActions...)
}

// arnAccount is the account field of an ARN, its fifth colon-separated
// field; false when it has fewer than five.
func arnAccount(arn string) (string, bool) {
	for range 4 {
		i := strings.IndexByte(arn, ':')
		if i < 0 {
			return "", false
		}
		arn = arn[i+1:]
	}
	acct, _, _ := strings.Cut(arn, ":")
	return acct, true
}

// EncryptionAudit is what an audit event says about an encryption block:
// its type, key and bucket key, never key material.
func EncryptionAudit(e kura.Encryption) map[string]any {
	out := map[string]any{"type": SSETypeName(e.Type)}
	if e.KMSKeyARN != "" {
		out["kmsKeyArn"] = e.KMSKeyARN
		out["bucketKeyEnabled"] = e.BucketKeyEnabled
	}
	return out
}

// SSETypeName is the name S3's APIs give an encryption type in bodies
// (SSE-S3, SSE-KMS, …; NONE for none).
func SSETypeName(t kura.SSEType) string {
	if n := t.Name(); n != "" {
		return n
	}
	return "NONE"
}

// RestoreInput is RestoreObject's: an archive restore.
type RestoreInput struct {
	Target
	// Days is how long the restored copy stays readable; 0 when not said.
	Days int
	// Tier is Standard, Bulk or Expedited; "" means Standard.
	Tier string
}

// RestoreResult says what RestoreObject did.
type RestoreResult struct {
	VersionID string
	// Started is true when a restore was started (S3 answers 202) and
	// false when an available copy had its expiry moved (200).
	Started bool
}

// RestoreObject starts the restore of an archived object version, or
// extends a restored copy.
func (s *Service) RestoreObject(ctx context.Context, call kura.Call, in RestoreInput) (RestoreResult, error) {
	r, ctx := s.begin(ctx, call, specRestoreObject, in.Target, nil)
	status := r.spec.status
	res, err := func() (RestoreResult, error) {
		if err := r.authorize(ctx); err != nil {
			return RestoreResult{}, err
		}
		tier := in.Tier
		if tier == "" {
			tier = object.TierStandard
		}
		if tier != object.TierStandard && tier != object.TierBulk && tier != object.TierExpedited {
			return RestoreResult{}, s3err.MalformedXML.WithMessage("Tier must be Standard, Bulk or Expedited.")
		}
		if in.Days < 0 {
			return RestoreResult{}, s3err.InvalidArgument.WithMessage("Days must be a positive integer.").With("ArgumentName", "Days")
		}
		started, v, err := s.obj.RestoreObject(ctx, object.RestoreInput{
			Bucket: in.Bucket, Key: in.Key, VersionID: in.VersionID, Days: in.Days, Tier: tier,
		})
		if err != nil {
			return RestoreResult{}, err
		}
		r.note("restoreTier", tier)
		r.note("restoreDays", in.Days)
		if started {
			status = statusAccepted
		}
		out := RestoreResult{Started: started}
		if v != nil {
			out.VersionID = v.VersionID
		}
		return out, nil
	}()
	return res, r.finish(status, err)
}

// TagConditions sets s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys
// for a write that sets tags.
func TagConditions(m map[string][]string, tags url.Values) {
	if len(tags) == 0 {
		return
	}
	keys := slices.Sorted(maps.Keys(tags))
	for _, k := range keys {
		m["s3:RequestObjectTag/"+k] = tags[k]
	}
	m["s3:RequestObjectTagKeys"] = keys
}

// LockConditions sets the s3:object-lock-* keys of a write that asks for
// a retention (mode, until as sent) or a legal hold.
func LockConditions(m map[string][]string, mode, until, hold string, now time.Time) {
	if mode != "" {
		m["s3:object-lock-mode"] = []string{mode}
	}
	if until != "" {
		m["s3:object-lock-retain-until-date"] = []string{until}
		if t, ok := ParseRetainUntil(until); ok {
			days := int(math.Ceil(t.Sub(now).Hours() / 24))
			m["s3:object-lock-remaining-retention-days"] = []string{strconv.Itoa(max(days, 0))}
		}
	}
	if hold != "" {
		m["s3:object-lock-legal-hold"] = []string{hold}
	}
}

// ParseRetainUntil parses an ISO 8601 timestamp (with or without
// fractional seconds), keeping the millisecond precision S3 reports.
func ParseRetainUntil(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC().Truncate(time.Millisecond), true
}
