package accesslog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
)

// ErrDeliveryDenied wraps a refusal to write a log object into its
// target: the records are dropped.
var ErrDeliveryDenied = errors.New("access log delivery denied")

// objectKey is a log object's key: S3's simple layout
// [prefix]YYYY-mm-DD-HH-MM-SS-UniqueString, or the partitioned one
// [prefix][account]/[region]/[bucket]/YYYY/MM/DD/YYYY-MM-DD-hh-mm-ss-UniqueString
// (for EventTime, the day of the events and 00-00-00).
func objectKey(k batchKey, region string, batch time.Time, uniq string) string {
	t := batch.UTC()
	if !k.Partitioned {
		return k.Prefix + t.Format("2006-01-02-15-04-05") + "-" + uniq
	}
	if k.Day != "" {
		if d, err := time.Parse("2006-01-02", k.Day); err == nil {
			t = d
		}
	}
	return k.Prefix + k.Account + "/" + region + "/" + k.Bucket + "/" + t.Format("2006/01/02/2006-01-02-15-04-05") + "-" + uniq
}

// unique is the UniqueString of a spool file's i-th object: the same
// when a delivery is repeated, so a repeated delivery overwrites.
func unique(spool string, i int) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", spool, i)))
	return strings.ToUpper(hex.EncodeToString(h[:8]))
}

// put writes one log object as the logging service, after checking the
// target lets it.
func (l *Logger) put(ctx context.Context, k batchKey, key string, body []byte) error {
	dst, err := l.cfg.Objects.Bucket(ctx, k.Target)
	if s3err.Is(err, s3err.NoSuchBucket) {
		return fmt.Errorf("%w: target bucket %q does not exist", ErrDeliveryDenied, k.Target)
	}
	if err != nil {
		return err
	}
	if err := l.allowed(dst, k, key); err != nil {
		return err
	}
	start := time.Now()
	principal := kura.Principal{Type: kura.PrincipalRoot, AccountID: dst.Owner, ARN: "arn:aws:iam::" + dst.Owner + ":root", PrincipalID: dst.Owner}
	call := kura.Call{Principal: principal, Source: kura.Source{InvokedBy: ServicePrincipal, Time: start.UTC()}}
	identity := audit.UserIdentityOf(kura.Principal{Type: kura.PrincipalAWSService, AccountID: dst.Owner}, kura.Source{InvokedBy: ServicePrincipal})
	rec := ops.Record{
		Service: "s3", EventSource: "s3.amazonaws.com", Name: "PutObject", Data: true,
		Call: call, Identity: &identity, Region: l.cfg.Region, RecipientAccountID: dst.Owner,
		RequestParameters:   map[string]any{"bucketName": dst.Name, "key": key},
		AdditionalEventData: map[string]any{"accessLogSourceBucket": k.Bucket},
		Resources: []audit.Resource{
			{Type: "AWS::S3::Object", ARN: kura.BucketARNPrefix + dst.Name + "/" + key},
			{Type: "AWS::S3::Bucket", ARN: kura.BucketARNPrefix + dst.Name, AccountID: dst.Owner},
		},
	}
	var p *audit.Pending
	if l.cfg.Audit != nil {
		p = l.cfg.Audit.Begin(rec.Event())
		ctx = audit.WithPending(ctx, p)
	}
	in := object.PutInput{
		Bucket: dst.Name, Key: key, Body: bytes.NewReader(body), Size: int64(len(body)),
		Headers: kura.ContentHeaders{ContentType: "text/plain"},
		SSE:     object.SSERequest{Type: kura.SSES3}, Access: object.KeyAccess{Caller: call}, Owner: dst.Owner,
	}
	if grants := l.targetGrants(ctx, k); len(grants) > 0 && dst.ACLsEnabled() {
		in.ACL = l.logACL(ctx, dst.Owner, grants)
	}
	v, err := l.cfg.Objects.PutObject(ctx, in)
	rec.Duration, rec.Status = time.Since(start), 200
	if v != nil {
		rec.BytesIn, rec.ObjectSize = v.Size, v.Size
	}
	if err != nil {
		e := s3err.As(err)
		if e == nil {
			e = s3err.InternalError
		}
		rec.ErrorCode, rec.ErrorMessage, rec.Status = e.Code, e.Message, e.Status
		err = fmt.Errorf("write %s into %s: %w", key, dst.Name, err)
	}
	// The delivery is counted, never logged itself: l.cfg.Metrics is not
	// the Logger's observer, so a target that logs to itself does not
	// loop.
	if ferr := rec.Finish(p, l.cfg.Metrics); ferr != nil {
		l.cfg.Logger.Warn("access logs: appending the audit event of a delivery failed; it is shipped from the outbox at the next start",
			"bucket", dst.Name, "key", key, "err", ferr)
	}
	return err
}

// allowed applies S3's rule for log delivery: the target's bucket policy
// allows logging.s3.amazonaws.com s3:PutObject on the key (with the
// aws:SourceArn and aws:SourceAccount of the source bucket), or, with
// ACLs enabled, its ACL grants the LogDelivery group WRITE. The target's
// owner must be the source's.
func (l *Logger) allowed(dst *kura.Bucket, k batchKey, key string) error {
	if dst.Owner != k.Account {
		return fmt.Errorf("%w: target bucket %q is not owned by the source bucket's owner %s", ErrDeliveryDenied, dst.Name, k.Account)
	}
	if dst.ACLsEnabled() && dst.ACL != nil {
		for _, g := range dst.ACL.Grants {
			if g.Type == "Group" && g.URI == ops.GroupLogDelivery && (g.Permission == kura.PermissionWrite || g.Permission == kura.PermissionFullControl) {
				return nil
			}
		}
	}
	arn := kura.BucketARNPrefix + dst.Name + "/" + key
	var doc *policy.Document
	if dst.Policy != "" {
		var err error
		if doc, err = l.cfg.Policies.Parse(dst.Policy, policy.Resource); err != nil {
			return fmt.Errorf("%w: the policy of target bucket %q does not parse: %v", ErrDeliveryDenied, dst.Name, err)
		}
	}
	in := &policy.Input{
		Request: policy.Request{
			Principal: policy.Principal{Service: ServicePrincipal},
			Action:    "s3:PutObject",
			Resource:  arn,
			Context: map[string][]string{
				"aws:SourceAccount": {k.Account},
				"aws:SourceArn":     {kura.BucketARNPrefix + k.Bucket},
			},
		},
		ResourceAccount: dst.Owner,
		Resource:        doc,
	}
	if dec := policy.Decide(in); !dec.Allowed {
		return fmt.Errorf("%w: neither the policy of target bucket %q allows %s to s3:PutObject on %s nor its ACL grants the LogDelivery group WRITE (docs/operations.md, \"Server access logs\")",
			ErrDeliveryDenied, dst.Name, ServicePrincipal, arn)
	}
	return nil
}

// targetGrants are the TargetGrants of the source bucket's logging, if it
// still logs to this target.
func (l *Logger) targetGrants(ctx context.Context, k batchKey) []kura.Grant {
	src, err := l.cfg.Objects.Bucket(ctx, k.Bucket)
	if err != nil || src.Logging == nil || src.Logging.TargetBucket != k.Target {
		return nil
	}
	return src.Logging.TargetGrants
}

// logACL is a log object's ACL: the owner's FULL_CONTROL and the
// configuration's TargetGrants.
func (l *Logger) logACL(ctx context.Context, owner string, grants []kura.Grant) *kura.ACL {
	cid := owner
	if l.cfg.CanonicalID != nil {
		if c, err := l.cfg.CanonicalID(ctx, owner); err == nil && c != "" {
			cid = c
		}
	}
	acl := &kura.ACL{Grants: []kura.Grant{{Type: "CanonicalUser", ID: cid, Permission: kura.PermissionFullControl}}}
	acl.Grants = append(acl.Grants, grants...)
	return acl
}
