package ops

import (
	"bytes"
	"context"
	"io"
	"sync"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// Work without an HTTP request (Batch Operations, internal/batch) needs
// two things the HTTP front does for itself: the job an operation runs
// for, named in its audit event, and plain object reads and writes (a
// job reads its manifest and writes its completion report as its role).

type jobKey struct{}

// WithJob returns ctx telling the operations called with it that they
// are tasks of the Batch Operations job id: their audit events name it
// (additionalEventData.jobId).
func WithJob(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, jobKey{}, id)
}

// JobOf is the job id WithJob put in ctx, "" if none.
func JobOf(ctx context.Context) string {
	id, _ := ctx.Value(jobKey{}).(string)
	return id
}

var (
	specGetObject = spec{name: "GetObject", readOnly: true, status: statusOK,
		actions: []string{"s3:GetObject"}, versionActions: []string{"s3:GetObjectVersion"}}
	specPutObject = spec{name: "PutObject", status: statusOK, actions: []string{"s3:PutObject"}}
)

// ReadInput is ReadObject's: the object and the byte range read.
type ReadInput struct {
	Target
	// Offset is the first byte read; Length how many (-1: to the end).
	Offset, Length int64
}

// ReadObject opens an object version's plaintext as GetObject does
// (s3:GetObject, or s3:GetObjectVersion with a version): the version is
// returned with its data. The operation's event is finished when the
// reader is closed (or when it fails), with the bytes read. Objects under
// SSE-C cannot be read this way (there is no customer key).
func (s *Service) ReadObject(ctx context.Context, call kura.Call, in ReadInput) (*kura.ObjectVersion, io.ReadCloser, error) {
	r, ctx := s.begin(ctx, call, specGetObject, in.Target, nil)
	v, body, err := func() (*kura.ObjectVersion, io.ReadCloser, error) {
		if err := r.authorize(ctx); err != nil {
			return nil, nil, err
		}
		v, err := s.obj.Head(ctx, in.Bucket, in.Key, in.VersionID)
		if err != nil {
			return nil, nil, err
		}
		if v.Encryption.Type == kura.SSEC {
			return nil, nil, s3err.InvalidRequest.WithMessage("The object %s/%s is encrypted with SSE-C; it cannot be read without the customer's key.", in.Bucket, in.Key)
		}
		off, n := in.Offset, in.Length
		if off > v.Size {
			off = v.Size
		}
		if n < 0 || off+n > v.Size {
			n = v.Size - off
		}
		body, err := s.obj.Open(ctx, v, off, n, object.KeyAccess{Caller: r.call})
		if err != nil {
			return nil, nil, err
		}
		return v, body, nil
	}()
	if err != nil {
		return nil, nil, r.finish(r.spec.status, err)
	}
	return v, &readRecord{ReadCloser: body, r: r}, nil
}

// readRecord finishes a ReadObject's event at Close, with the bytes read.
type readRecord struct {
	io.ReadCloser
	r    *run
	n    int64
	err  error
	once sync.Once
}

func (rr *readRecord) Read(p []byte) (int, error) {
	n, err := rr.ReadCloser.Read(p)
	rr.n += int64(n)
	if err != nil && err != io.EOF {
		rr.err = err
	}
	return n, err
}

func (rr *readRecord) Close() error {
	err := rr.ReadCloser.Close()
	rr.once.Do(func() {
		rr.r.rec.BytesOut = rr.n
		rr.r.rec.AdditionalEventData["bytesTransferredOut"] = rr.n
		rr.r.finish(rr.r.spec.status, rr.err)
	})
	return err
}

// WriteInput is WriteObject's: a small object written whole.
type WriteInput struct {
	Target
	Body        []byte
	ContentType string
	// Encryption is the SSE asked for (SSES3 or SSEKMS, with KMSKeyID);
	// SSENone takes the bucket's default encryption.
	Encryption kura.SSEType
	KMSKeyID   string
}

// WriteObject stores an object as PutObject does (s3:PutObject), under
// the encryption asked for or the bucket's default (SSE-S3 without
// one; s3:x-amz-server-side-encryption is supplied), owned by the
// caller's account. It is for what Kura writes for a principal: a job's
// completion report and generated manifest.
func (s *Service) WriteObject(ctx context.Context, call kura.Call, in WriteInput) (WriteResult, error) {
	var conds map[string][]string
	if in.Encryption != kura.SSENone {
		conds = map[string][]string{"s3:x-amz-server-side-encryption": {string(in.Encryption)}}
		if in.KMSKeyID != "" {
			conds["s3:x-amz-server-side-encryption-aws-kms-key-id"] = []string{in.KMSKeyID}
		}
	}
	r, ctx := s.begin(ctx, call, specPutObject, in.Target, conds)
	res, err := func() (WriteResult, error) {
		if err := r.authorize(ctx); err != nil {
			return WriteResult{}, err
		}
		v, err := s.obj.PutObject(ctx, object.PutInput{
			Bucket: in.Bucket, Key: in.Key, Body: bytes.NewReader(in.Body), Size: int64(len(in.Body)),
			Headers: kura.ContentHeaders{ContentType: in.ContentType},
			SSE:     object.SSERequest{Type: in.Encryption, KMSKeyID: in.KMSKeyID},
			Access:  object.KeyAccess{Caller: r.call}, Owner: r.call.Principal.AccountID,
		})
		if err != nil {
			return WriteResult{}, err
		}
		r.rec.BytesIn = int64(len(in.Body))
		r.rec.AdditionalEventData["bytesTransferredIn"] = int64(len(in.Body))
		return r.versionResult(v), nil
	}()
	return res, r.finish(r.spec.status, err)
}
