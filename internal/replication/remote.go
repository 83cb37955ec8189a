package replication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/metrics"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// Phase 2: replicas for buckets of a linked deployment (docs/replication.md,
// "Linked deployments"). Remote turns a Destination call into a Message
// and hands it to a Transport (internal/replication/link: an authenticated
// HTTP link); at the other end a Receiver decides the destination side
// as the role, in that deployment's IAM copy, bucket policies and KMS, by
// the same Local every same-deployment replica goes through.

// Message kinds.
const (
	KindReplica      = "replica"
	KindDeleteMarker = "delete-marker"
	KindMetadata     = "metadata"
)

// Message is one Destination call sent over a link. It never carries a
// data key in the clear: SealedKeys is the source's data keys sealed
// under the link's data-key key with AAD naming the source deployment,
// destination bucket, key and version id (KeyAAD).
type Message struct {
	Kind string `json:"kind"`
	// Source is the sending deployment; the receiving transport sets it
	// from the authenticated link, never from the body.
	Source string `json:"source,omitempty"`
	// Role is the replication role the source assumed (its ARN); the
	// destination assumes it again as s3.amazonaws.com in its own IAM copy.
	Role          string              `json:"role"`
	Bucket        string              `json:"bucket"`
	Version       *kura.ObjectVersion `json:"version"`
	StorageClass  string              `json:"storageClass,omitempty"`
	Account       string              `json:"account,omitempty"`
	OwnerOverride bool                `json:"ownerOverride,omitempty"`
	Seal          Seal                `json:"seal"`
	SealedKeys    []byte              `json:"sealedKeys,omitempty"`
	// Blobs are the source blob ids whose ciphertext follows the message,
	// in this order (the version's blob, then its parts').
	Blobs []string `json:"blobs,omitempty"`
}

// Transport sends messages to the deployment that holds a bucket.
type Transport interface {
	// Send delivers m to the deployment holding m.Bucket, streaming the
	// blobs m.Blobs names as open reads them, and returns the
	// destination's outcome: nil, a *Failure, an s3err error (a 4xx is a
	// refusal), or another error (unreachable: retried).
	Send(ctx context.Context, m *Message, open func(ctx context.Context, blobID string) (io.ReadCloser, error)) error
}

// KeyAAD binds a sealed data key to the deployment that sealed it and the
// replica it is for, so it cannot be replayed for another object or by
// another peer.
func KeyAAD(source, bucket, key, versionID string) []byte {
	return fmt.Appendf(nil, "kura link data keys v1\x00%s\x00%s\x00%s\x00%s", source, bucket, key, versionID)
}

type wireKeys struct {
	DEK  []byte `json:"dek"`
	DEK2 []byte `json:"dek2,omitempty"`
}

func sealKeys(key []byte, k sse.DataKeys, aad []byte) ([]byte, error) {
	plain, err := json.Marshal(wireKeys{DEK: k.DEK, DEK2: k.DEK2})
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return sse.SealWithKey(key, plain, aad)
}

func openKeys(key, sealed, aad []byte) (sse.DataKeys, error) {
	plain, err := sse.OpenWithKey(key, sealed, aad)
	if err != nil {
		return sse.DataKeys{}, err
	}
	defer clear(plain)
	var w wireKeys
	if err := json.Unmarshal(plain, &w); err != nil {
		return sse.DataKeys{}, err
	}
	return sse.DataKeys{DEK: w.DEK, DEK2: w.DEK2}, nil
}

// Remote is the Destination of buckets of linked deployments.
type Remote struct {
	// Self is this deployment's name (in the data keys' AAD).
	Self string
	// KeyKey is the 32-byte key data keys are sealed under on the link
	// (derived from the link secret, link.Secret.DataKeyKey).
	KeyKey    []byte
	Transport Transport
}

var _ Destination = (*Remote)(nil)

func roleOf(as kura.Call) string { return as.Principal.RoleARN }

// PutReplica sends r: its metadata, its data keys sealed for the link,
// and its ciphertext as stored.
func (rm *Remote) PutReplica(ctx context.Context, as kura.Call, r Replica) error {
	v := *r.Version
	m := &Message{Kind: KindReplica, Role: roleOf(as), Bucket: r.Bucket, StorageClass: r.StorageClass,
		Account: r.Account, OwnerOverride: r.OwnerOverride, Seal: r.Seal}
	if r.Seal.Keep == nil {
		// The source's own seal of the data key is no business of the
		// destination's: it gets the keys sealed for the link.
		v.Encryption = kura.Encryption{Type: v.Encryption.Type}
		sealed, err := sealKeys(rm.KeyKey, r.Keys, KeyAAD(rm.Self, r.Bucket, v.Key, v.VersionID))
		if err != nil {
			return err
		}
		m.SealedKeys = sealed
	}
	if v.BlobID != "" {
		m.Blobs = append(m.Blobs, v.BlobID)
	}
	for _, p := range v.Parts {
		m.Blobs = append(m.Blobs, p.BlobID)
	}
	m.Version = &v
	return rm.Transport.Send(ctx, m, r.Ciphertext)
}

// PutDeleteMarker sends the delete marker.
func (rm *Remote) PutDeleteMarker(ctx context.Context, as kura.Call, bucket string, dm *kura.ObjectVersion) error {
	return rm.Transport.Send(ctx, &Message{Kind: KindDeleteMarker, Role: roleOf(as), Bucket: bucket, Version: dm}, nil)
}

// PutMetadata sends a metadata change.
func (rm *Remote) PutMetadata(ctx context.Context, as kura.Call, bucket string, v *kura.ObjectVersion, ownerOverride bool) error {
	return rm.Transport.Send(ctx, &Message{Kind: KindMetadata, Role: roleOf(as), Bucket: bucket, Version: v, OwnerOverride: ownerOverride}, nil)
}

// Router sends a replica to Local when this deployment has the bucket,
// else to Remote (nil: Local only).
type Router struct {
	Local  *Local
	Remote *Remote
}

var _ Destination = (*Router)(nil)

func (rt *Router) pick(ctx context.Context, bucket string) (Destination, error) {
	if rt.Remote == nil {
		return rt.Local, nil
	}
	_, err := rt.Local.Objects.Bucket(ctx, bucket)
	switch {
	case err == nil:
		return rt.Local, nil
	case s3err.Is(err, s3err.NoSuchBucket):
		return rt.Remote, nil
	}
	return nil, err
}

func (rt *Router) PutReplica(ctx context.Context, as kura.Call, r Replica) error {
	d, err := rt.pick(ctx, r.Bucket)
	if err != nil {
		return err
	}
	return d.PutReplica(ctx, as, r)
}

func (rt *Router) PutDeleteMarker(ctx context.Context, as kura.Call, bucket string, dm *kura.ObjectVersion) error {
	d, err := rt.pick(ctx, bucket)
	if err != nil {
		return err
	}
	return d.PutDeleteMarker(ctx, as, bucket, dm)
}

func (rt *Router) PutMetadata(ctx context.Context, as kura.Call, bucket string, v *kura.ObjectVersion, ownerOverride bool) error {
	d, err := rt.pick(ctx, bucket)
	if err != nil {
		return err
	}
	return d.PutMetadata(ctx, as, bucket, v, ownerOverride)
}

// Receiver is the destination end of a link: it stores what a peer's
// Remote sent, as the role, through Local.
type Receiver struct {
	Local  *Local
	Roles  Roles
	KeyKey []byte
	// Audit and Metrics record one event and operation per message (the
	// destination's half of the replication; the source records its own).
	Audit   *audit.Log
	Metrics metrics.Observer
	Region  string
	Now     func() time.Time
}

// Receive stores m. open reads the blobs m.Blobs names, in that order.
func (rc *Receiver) Receive(ctx context.Context, m *Message, open func(ctx context.Context, blobID string) (io.ReadCloser, error)) (err error) {
	if m.Version == nil || m.Bucket == "" || m.Role == "" {
		return s3err.InvalidRequest.WithMessage("The link message names no bucket, version or role.")
	}
	now := time.Now
	if rc.Now != nil {
		now = rc.Now
	}
	name := "ReplicateObject"
	if m.Kind == KindDeleteMarker {
		name = "ReplicateDelete"
	}
	call := kura.Call{Source: kura.Source{InvokedBy: ServicePrincipal, Time: now().UTC(), RequestID: requestID()}}
	rec := &ops.Record{Service: "s3", EventSource: "s3.amazonaws.com", Name: name, Data: true, Call: call, Region: rc.Region,
		RequestParameters:   map[string]any{"bucketName": m.Bucket, "key": m.Version.Key, "versionId": m.Version.VersionID},
		AdditionalEventData: map[string]any{"sourceDeployment": m.Source, "kind": m.Kind},
		Resources: []audit.Resource{
			{Type: "AWS::S3::Object", ARN: access.ObjectARN(m.Bucket, m.Version.Key)},
			{Type: "AWS::S3::Bucket", ARN: access.BucketARN(m.Bucket)},
		}}
	started := now()
	var pend *audit.Pending
	defer func() {
		rec.Duration, rec.Status = now().Sub(started), 200
		if err != nil {
			e := s3err.As(err)
			if e == nil {
				e = s3err.InternalError
			}
			rec.ErrorCode, rec.ErrorMessage, rec.Status = e.Code, err.Error(), e.Status
			var f *Failure
			if errors.As(err, &f) {
				rec.AdditionalEventData["failureReason"] = f.Reason
				if f.Action != "" {
					rec.AdditionalEventData["deniedAction"] = f.Action
				}
			}
		}
		if rc.Audit == nil {
			return
		}
		if pend == nil {
			pend = rc.Audit.Begin(rec.Event())
		}
		rec.Finish(pend, rc.Metrics)
	}()
	p, err := rc.Roles.AssumeRoleAsService(ctx, m.Role, ServicePrincipal)
	if err != nil {
		return &Failure{Reason: "AssumeRoleNotPermitted", Action: "sts:AssumeRole", Err: err}
	}
	call.Principal = p
	rec.Call = call
	if rc.Audit != nil {
		pend = rc.Audit.Begin(rec.Event())
	}
	ctx = audit.WithPending(ctx, pend)
	switch m.Kind {
	case KindDeleteMarker:
		return rc.Local.PutDeleteMarker(ctx, call, m.Bucket, m.Version)
	case KindMetadata:
		return rc.Local.PutMetadata(ctx, call, m.Bucket, m.Version, m.OwnerOverride)
	case KindReplica:
	default:
		return s3err.InvalidRequest.WithMessage("Unknown link message kind %q.", m.Kind)
	}
	r := Replica{Bucket: m.Bucket, Version: m.Version, StorageClass: m.StorageClass, Account: m.Account,
		OwnerOverride: m.OwnerOverride, Seal: m.Seal, Ciphertext: open}
	if m.Seal.Keep == nil {
		keys, err := openKeys(rc.KeyKey, m.SealedKeys, KeyAAD(m.Source, m.Bucket, m.Version.Key, m.Version.VersionID))
		if err != nil {
			return s3err.InvalidRequest.WithMessage("The data keys sent over the link do not open for this deployment, bucket, key and version (a different link secret, or keys replayed for another object): %v", err)
		}
		defer keys.Clear()
		r.Keys = keys
	}
	return rc.Local.PutReplica(ctx, call, r)
}
