package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
)

// delivery is where one report goes: the destination bucket, the
// encryption its files get, and who writes them.
type delivery struct {
	w      *Writer
	src    *kura.Bucket
	bucket *kura.Bucket
	sse    object.SSERequest
	// call is who writes: S3 acting for the destination bucket's owner
	// (its root, invoked by s3.amazonaws.com), the identity its KMS calls
	// are authorized as.
	call kura.Call
	// identity is the audit events' userIdentity: the S3 service.
	identity audit.UserIdentity
	// policy is the destination's bucket policy (nil: none).
	policy *policy.Document
}

// ErrDeliveryDenied wraps a refusal to write a report into its
// destination.
var ErrDeliveryDenied = errors.New("inventory delivery denied")

// destination resolves and checks a report's destination: the bucket
// exists, is owned by the expected account if the configuration names
// one, and its policy lets S3 write.
func (w *Writer) destination(ctx context.Context, src *kura.Bucket, dest kura.InventoryDestination) (*delivery, error) {
	name := dest.Bucket()
	b, err := w.cfg.Objects.Bucket(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("destination bucket %q: %w", name, err)
	}
	if dest.AccountID != "" && dest.AccountID != b.Owner {
		return nil, fmt.Errorf("%w: destination bucket %q is not owned by account %s, the configuration's AccountId", ErrDeliveryDenied, name, dest.AccountID)
	}
	d := &delivery{w: w, src: src, bucket: b,
		call: kura.Call{
			Principal: kura.Principal{Type: kura.PrincipalRoot, AccountID: b.Owner, ARN: "arn:aws:iam::" + b.Owner + ":root", PrincipalID: b.Owner},
			Source:    kura.Source{InvokedBy: ServicePrincipal},
		},
		identity: audit.UserIdentityOf(kura.Principal{Type: kura.PrincipalAWSService, AccountID: b.Owner}, kura.Source{InvokedBy: ServicePrincipal}),
	}
	if b.Policy != "" {
		if d.policy, err = w.cfg.Policies.Parse(b.Policy, policy.Resource); err != nil {
			return nil, fmt.Errorf("%w: the policy of destination bucket %q does not parse: %v", ErrDeliveryDenied, name, err)
		}
	}
	if e := dest.Encryption; e != nil {
		d.sse = object.SSERequest{Type: e.Type, KMSKeyID: e.KMSKeyID}
	}
	return d, nil
}

// allowed applies S3's rule for delivering into a bucket: the
// destination's bucket policy must allow the service principal
// s3.amazonaws.com s3:PutObject on the key, with the condition keys S3's
// delivery carries (aws:SourceAccount, aws:SourceArn, s3:x-amz-acl
// bucket-owner-full-control), as the policy AWS documents for inventory
// destinations does. Being the same account is not enough: S3 writes as
// itself.
func (d *delivery) allowed(key string) error {
	arn := kura.BucketARNPrefix + d.bucket.Name + "/" + key
	in := &policy.Input{
		Request: policy.Request{
			Principal: policy.Principal{Service: ServicePrincipal},
			Action:    "s3:PutObject",
			Resource:  arn,
			Context: map[string][]string{
				"aws:SourceAccount": {d.src.Owner},
				"aws:SourceArn":     {kura.BucketARNPrefix + d.src.Name},
				"s3:x-amz-acl":      {"bucket-owner-full-control"},
			},
		},
		ResourceAccount: d.bucket.Owner,
		Resource:        d.policy,
	}
	if dec := policy.Decide(in); !dec.Allowed {
		return fmt.Errorf("%w: the policy of destination bucket %q does not allow %s to s3:PutObject on %s (add the statement docs/inventory.md shows)",
			ErrDeliveryDenied, d.bucket.Name, ServicePrincipal, arn)
	}
	return nil
}

// putBytes writes a small file (manifest, checksum, symlink).
func (d *delivery) putBytes(ctx context.Context, key, ctype string, body []byte) (*kura.ObjectVersion, error) {
	if err := d.allowed(key); err != nil {
		return nil, err
	}
	return d.put(ctx, key, ctype, bytes.NewReader(body), int64(len(body)))
}

// put writes one file through the object service as an audited PutObject
// of the S3 service, owned by the destination bucket's owner.
func (d *delivery) put(ctx context.Context, key, ctype string, body io.Reader, size int64) (*kura.ObjectVersion, error) {
	w := d.w
	start := time.Now()
	call := d.call
	call.Source.Time = start.UTC()
	rec := ops.Record{
		Service: "s3", EventSource: "s3.amazonaws.com", Name: "PutObject", Data: true,
		Call: call, Identity: &d.identity, Region: w.cfg.Region, RecipientAccountID: d.bucket.Owner,
		RequestParameters:   map[string]any{"bucketName": d.bucket.Name, "key": key},
		AdditionalEventData: map[string]any{"inventorySourceBucket": d.src.Name},
		Resources: []audit.Resource{
			{Type: "AWS::S3::Object", ARN: kura.BucketARNPrefix + d.bucket.Name + "/" + key},
			{Type: "AWS::S3::Bucket", ARN: kura.BucketARNPrefix + d.bucket.Name, AccountID: d.bucket.Owner},
		},
	}
	p := w.cfg.Audit.Begin(rec.Event())
	v, err := w.cfg.Objects.PutObject(audit.WithPending(ctx, p), object.PutInput{
		Bucket: d.bucket.Name, Key: key, Body: body, Size: size,
		Headers: kura.ContentHeaders{ContentType: ctype},
		SSE:     d.sse, Access: object.KeyAccess{Caller: call}, Owner: d.bucket.Owner,
	})
	rec.Duration, rec.Status = time.Since(start), 200
	if v != nil {
		rec.BytesIn = v.Size
	}
	if err != nil {
		e := s3err.As(err)
		if e == nil {
			e = s3err.InternalError
		}
		rec.ErrorCode, rec.ErrorMessage, rec.Status = e.Code, e.Message, e.Status
		err = fmt.Errorf("write %s into %s: %w", key, d.bucket.Name, err)
	}
	if ferr := rec.Finish(p, w.cfg.Metrics); ferr != nil {
		w.cfg.Logger.Warn("inventory: appending the audit event of a report file failed; it is shipped from the outbox at the next start",
			"bucket", d.bucket.Name, "key", key, "err", ferr)
	}
	return v, err
}
