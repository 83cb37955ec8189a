package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// A task is one operation on one object, run through internal/ops as the
// job's role, so it is authorized, audited (naming the job) and counted
// as the same call over HTTP. Its outcome is a report row: S3's status
// and error code for a failure, exactly what the single call answers.

// result is one task's outcome.
type result struct {
	e      entry
	ok     bool
	status int
	code   string
	msg    string
	// prev is the object's encryption before an S3UpdateObjectEncryption
	// task (the report's Kura column, for undo).
	prev string
	// After a re-seal (or its undo): the encryption set, and the version
	// acted on with its Last-Modified (the report's Kura columns, which an
	// undo job checks to leave later changes alone).
	after   string
	version string
	mod     time.Time
}

// resealed fills a re-seal's Kura report columns.
func (r result) resealed(out ops.EncryptionResult) result {
	r.prev, r.after, r.version, r.mod = EncryptionColumn(out.Before), EncryptionColumn(out.After), out.VersionID, out.LastModified
	return r
}

// taskAttempts bounds the tries of a task that failed with a transient
// error (5xx, OperationAborted).
const taskAttempts = 3

// runTask performs one task, retrying transient failures.
func (s *Service) runTask(ctx context.Context, call kura.Call, j *kura.Job, e entry) result {
	var r result
	for attempt := 0; attempt < taskAttempts; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return r
			case <-time.After(time.Duration(attempt*attempt) * 50 * time.Millisecond):
			}
		}
		r = s.attempt(ctx, call, j, e)
		if r.ok || !(r.status >= 500 || r.code == s3err.OperationAborted.Code) {
			return r
		}
	}
	return r
}

func (s *Service) attempt(ctx context.Context, call kura.Call, j *kura.Job, e entry) result {
	t := ops.Target{Bucket: e.Bucket, Key: e.Key, VersionID: e.VersionID}
	if j.DryRun {
		return s.dryRun(ctx, call, j, e)
	}
	o := j.Operation
	res := result{e: e, ok: true, status: 200}
	var err error
	switch o.Name {
	case kura.OpS3UpdateObjectEncryption:
		var out ops.EncryptionResult
		if j.UndoOf != "" {
			out, err = s.undoTask(ctx, call, e)
		} else {
			out, err = s.cfg.Ops.UpdateObjectEncryption(ctx, call, ops.EncryptionInput{Target: t,
				Encryption: object.EncryptionTarget{KMSKeyARN: o.UpdateEncryption.KMSKeyARN, BucketKey: o.UpdateEncryption.BucketKeyEnabled}})
		}
		if err == nil {
			res = res.resealed(out)
			res.msg = "Successful"
		}
	case kura.OpS3PutObjectTagging:
		_, err = s.cfg.Ops.PutObjectTagging(ctx, call, ops.TaggingInput{Target: t, Tags: o.Tagging})
	case kura.OpS3DeleteObjectTagging:
		_, err = s.cfg.Ops.DeleteObjectTagging(ctx, call, t)
		res.status = 204
	case kura.OpS3PutObjectAcl:
		_, err = s.cfg.Ops.PutObjectAcl(ctx, call, ops.ACLInput{Target: t, Canned: o.ACL.CannedACL, Grants: o.ACL.Grants})
	case kura.OpS3PutObjectRetention:
		var rt *kura.Retention
		if r := o.Retention.Retention; r.Mode != "" || !r.Until.IsZero() {
			rt = &r
		}
		_, err = s.cfg.Ops.PutObjectRetention(ctx, call, ops.RetentionInput{Target: t, Retention: rt, BypassGovernance: o.Retention.BypassGovernance})
	case kura.OpS3PutObjectLegalHold:
		_, err = s.cfg.Ops.PutObjectLegalHold(ctx, call, ops.LegalHoldInput{Target: t, On: *o.LegalHold})
	case kura.OpS3InitiateRestoreObject:
		var out ops.RestoreResult
		out, err = s.cfg.Ops.RestoreObject(ctx, call, ops.RestoreInput{Target: t, Days: o.Restore.ExpirationDays, Tier: restoreTier(o.Restore.Tier)})
		if err == nil && out.Started {
			res.status = 202
		}
	case kura.OpS3ComputeObjectChecksum:
		res.msg, err = s.computeChecksum(ctx, call, t, *o.Checksum)
	case kura.OpS3ReplicateObject:
		return s.replicate(ctx, call, e, t)
	case kura.OpS3PutObjectCopy:
		var out ops.CopyResult
		out, err = s.cfg.Ops.CopyObject(ctx, call, copyInput(*o.Copy, e))
		if err == nil {
			res.msg = copyMessage(out)
		}
	default:
		err = s3err.NotImplemented.WithMessage("The operation %s is not supported.", o.Name)
	}
	if err != nil {
		return failed(e, err)
	}
	return res
}

func failed(e entry, err error) result {
	x := s3err.As(err)
	return result{e: e, status: x.Status, code: x.Code, msg: x.Message}
}

// restoreTier is a GlacierJobTier (BULK, STANDARD) as RestoreObject
// names it.
func restoreTier(t string) string {
	switch t {
	case "BULK":
		return object.TierBulk
	case "", "STANDARD":
		return object.TierStandard
	}
	return t
}

// computeChecksum reads an object's plaintext as the role (GetObject)
// and returns S3's result message: the checksum, its algorithm and type.
// FULL_OBJECT is the digest of the whole object. COMPOSITE is S3's
// multipart form: the digest of each part's data (the parts as the upload
// made them, read from the stored part boundaries), then the digest of
// those digests concatenated in part order, with "-N" for N parts — the
// value S3 gives a multipart object uploaded with that algorithm. An
// object that is not multipart has no parts: its COMPOSITE checksum is
// its whole-object digest, reported as FULL_OBJECT (as S3 reports a
// single-part upload's checksum).
func (s *Service) computeChecksum(ctx context.Context, call kura.Call, t ops.Target, c kura.JobChecksum) (string, error) {
	alg, _ := checksum.Parse(c.Algorithm)
	typ := c.Type
	if typ == "" {
		typ = "FULL_OBJECT"
	}
	v, body, err := readObject(ctx, s.cfg.Ops, call, t, 0)
	if err != nil {
		return "", err
	}
	defer body.Close()
	var value string
	if typ == "COMPOSITE" && len(v.Parts) > 0 {
		value, err = compositeChecksum(alg, v.Parts, body)
	} else {
		typ = "FULL_OBJECT"
		h := alg.New()
		if _, err = io.Copy(h, body); err == nil {
			value = checksum.Encode(h.Sum(nil))
		}
	}
	if err != nil {
		return "", s3err.Internal(err)
	}
	msg, _ := json.Marshal(map[string]string{"checksum_base64": value,
		"checksumAlgorithm": string(alg), "checksumType": typ})
	return string(msg), nil
}

// compositeChecksum is the COMPOSITE checksum of a multipart object whose
// plaintext body yields, read through once, cut at its parts' sizes.
func compositeChecksum(alg checksum.Algorithm, parts []kura.Part, body io.Reader) (string, error) {
	sums := make([][]byte, len(parts))
	for i, p := range parts {
		h := alg.New()
		n, err := io.CopyN(h, body, p.Size)
		if err != nil {
			return "", fmt.Errorf("part %d: read %d of its %d bytes: %w", p.Number, n, p.Size, err)
		}
		sums[i] = h.Sum(nil)
	}
	return checksum.CompositeOf(alg, sums)
}

// dryRun says what a task would do, changing nothing: the object must
// exist, the role must hold the operation's permissions on it, and for a
// re-seal its encryption must be one S3 can re-seal.
func (s *Service) dryRun(ctx context.Context, call kura.Call, j *kura.Job, e entry) result {
	b, err := s.cfg.Objects.Bucket(ctx, e.Bucket)
	if err != nil {
		return failed(e, err)
	}
	v, err := s.cfg.Objects.Head(ctx, e.Bucket, e.Key, e.VersionID)
	if err != nil {
		return failed(e, err)
	}
	for _, a := range actionsOf(j.Operation.Name, e.VersionID != "") {
		err := s.cfg.Ops.Authorizer().Authorize(ctx, access.Request{Call: call, Action: a, Resource: access.ObjectARN(e.Bucket, e.Key),
			Bucket: b, Key: e.Key, VersionID: e.VersionID, Object: v, ExistingObjectTags: true})
		if err != nil {
			return failed(e, ops.Denial(err))
		}
	}
	res := result{e: e, ok: true, status: 200}
	switch j.Operation.Name {
	case kura.OpS3UpdateObjectEncryption:
		if j.UndoOf != "" {
			return s.undoDryRun(e, v)
		}
		switch {
		case v.Encryption.Type == kura.SSENone:
			return failed(e, object.ErrUOEUnencryptedSource)
		case v.Encryption.Type != kura.SSES3 && v.Encryption.Type != kura.SSEKMS:
			return failed(e, object.ErrUOEUnsupportedSource)
		case v.Locked(s.now()):
			return failed(e, object.ErrUOEObjectLock)
		}
		u := j.Operation.UpdateEncryption
		res.prev = EncryptionColumn(v.Encryption)
		res.msg = fmt.Sprintf("Dry run: would re-seal from %s to %s", res.prev,
			EncryptionColumn(kura.Encryption{Type: kura.SSEKMS, KMSKeyARN: u.KMSKeyARN, BucketKeyEnabled: u.BucketKeyEnabled}))
	case kura.OpS3PutObjectCopy:
		in := copyInput(*j.Operation.Copy, e)
		res.msg = fmt.Sprintf("Dry run: would copy version %s to %s/%s", v.VersionID, in.Bucket, in.Key)
	default:
		res.msg = fmt.Sprintf("Dry run: would perform %s on version %s", j.Operation.Name, v.VersionID)
	}
	return res
}

// actionsOf are the permissions an operation's task needs.
func actionsOf(op kura.JobOperationName, version bool) []string {
	v := func(plain, ver string) []string {
		if version {
			return []string{ver}
		}
		return []string{plain}
	}
	switch op {
	case kura.OpS3UpdateObjectEncryption:
		return []string{"s3:UpdateObjectEncryption", "s3:PutObject"}
	case kura.OpS3PutObjectTagging:
		return v("s3:PutObjectTagging", "s3:PutObjectVersionTagging")
	case kura.OpS3DeleteObjectTagging:
		return v("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging")
	case kura.OpS3PutObjectAcl:
		return v("s3:PutObjectAcl", "s3:PutObjectVersionAcl")
	case kura.OpS3PutObjectRetention:
		return []string{"s3:PutObjectRetention"}
	case kura.OpS3PutObjectLegalHold:
		return []string{"s3:PutObjectLegalHold"}
	case kura.OpS3InitiateRestoreObject:
		return []string{"s3:RestoreObject"}
	case kura.OpS3ReplicateObject:
		return []string{"s3:InitiateReplication"}
	case kura.OpS3ComputeObjectChecksum, kura.OpS3PutObjectCopy:
		// A copy's dry run checks the read of the source; the write is
		// the target bucket's, checked when the task runs.
		return v("s3:GetObject", "s3:GetObjectVersion")
	}
	return nil
}

// EncryptionColumn is an object's encryption as the completion report of
// an S3UpdateObjectEncryption job records it in Kura's PreviousEncryption
// column: "SSE-S3", or "SSE-KMS:<key ARN>" with ":BucketKey" when a bucket
// key was on (NONE, DSSE-KMS and SSE-C likewise). ParseEncryptionColumn
// reads it back (an undo job).
func EncryptionColumn(e kura.Encryption) string {
	out := ops.SSETypeName(e.Type)
	if e.KMSKeyARN != "" {
		out += ":" + e.KMSKeyARN
		if e.BucketKeyEnabled {
			out += ":BucketKey"
		}
	}
	return out
}

// ParseEncryptionColumn reads an EncryptionColumn.
func ParseEncryptionColumn(s string) (kura.Encryption, bool) {
	typ, rest, _ := strings.Cut(s, ":")
	var e kura.Encryption
	switch typ {
	case "SSE-S3":
		e.Type = kura.SSES3
	case "SSE-KMS":
		e.Type = kura.SSEKMS
	case "DSSE-KMS":
		e.Type = kura.SSEDSSE
	case "SSE-C":
		e.Type = kura.SSEC
	case "NONE":
	default:
		return e, false
	}
	if arn, ok := strings.CutSuffix(rest, ":BucketKey"); ok {
		e.KMSKeyARN, e.BucketKeyEnabled = arn, true
	} else {
		e.KMSKeyARN = rest
	}
	return e, true
}

// copyInput is the CopyObject of S3PutObjectCopy's task on e: the object
// is copied to TargetResource under TargetKeyPrefix + its key, with the
// operation's settings; the source's conditions are the job's
// Modified/UnmodifiedSince constraints.
func copyInput(c kura.JobCopy, e entry) ops.CopyInput {
	bucket, _ := bucketOfARN(c.TargetResource)
	in := ops.CopyInput{Target: ops.Target{Bucket: bucket, Key: c.TargetKeyPrefix + e.Key},
		Source: ops.CopySource{Bucket: e.Bucket, Key: e.Key, VersionID: e.VersionID,
			IfModifiedSince: c.ModifiedSince, IfUnmodifiedSince: c.UnmodifiedSince},
		MetadataDirective: c.MetadataDirective, WebsiteRedirect: c.RedirectLocation,
		ACL: ops.ObjectACL{Canned: c.CannedACL, Grants: c.Grants}, StorageClass: c.StorageClass,
		ChecksumAlgorithm: checksum.Algorithm(c.ChecksumAlgorithm)}
	if c.NewMetadata != nil {
		in.Headers = *c.NewMetadata
	}
	if c.NewTagging != nil {
		in.TaggingDirective, in.Tags = ops.DirectiveReplace, c.NewTagging
	}
	switch {
	case c.SSE == kura.SSEKMS || c.SSEAwsKmsKeyID != "":
		bk := c.BucketKeyEnabled
		in.SSE = object.SSERequest{Type: kura.SSEKMS, KMSKeyID: c.SSEAwsKmsKeyID, BucketKey: &bk}
	case c.SSE == kura.SSES3:
		in.SSE = object.SSERequest{Type: kura.SSES3}
	}
	switch c.ObjectLockLegalHoldStatus {
	case "ON", "OFF":
		on := c.ObjectLockLegalHoldStatus == "ON"
		in.Lock.LegalHold = &on
	}
	if c.ObjectLockMode != "" {
		in.Lock.Retention = &kura.Retention{Mode: c.ObjectLockMode, Until: c.ObjectLockRetainUntilDate}
	}
	return in
}

// copyMessage is a copy task's result message: where the copy went.
func copyMessage(out ops.CopyResult) string {
	msg, _ := json.Marshal(map[string]string{"versionId": out.VersionID, "etag": out.ETag})
	return string(msg)
}
