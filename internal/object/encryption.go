package object

import (
	"context"
	"strconv"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// SSERequest is the server-side encryption a write asks for. The zero value
// means "the bucket default", which is SSE-S3.
type SSERequest struct {
	Type meta.SSEType
	// KMSKeyID is the key as the request named it (id, ARN, alias name or
	// alias ARN); empty means the AWS managed key aws/s3.
	KMSKeyID string
	// Context is the user encryption context (JSON object text), already
	// decoded from base64 and validated.
	Context string
	// BucketKey overrides the bucket's BucketKeyEnabled when non-nil.
	BucketKey *bool
	// CustomerKey is the raw 32-byte SSE-C key (never stored) and
	// CustomerKeyMD5 its base64 MD5 as sent.
	CustomerKey    []byte
	CustomerKeyMD5 string
}

// sealAAD binds a sealed data key to its purpose and to the object it
// protects, so a sealed key cannot be moved to another object's record.
func sealAAD(bucket, key string) []byte {
	return []byte("kura/sse-s3/v1\x00" + bucket + "\x00" + key)
}

// partKey derives the key of one part of a multipart object from the
// upload's data key, so parts cannot be swapped for one another undetected.
func partKey(dek []byte, n int) []byte {
	return sse.DeriveKey(dek, "kura part "+strconv.Itoa(n))
}

// newDataKey creates a data key for a new object version or upload and
// seals it as req asks.
func (s *Service) newDataKey(ctx context.Context, req SSERequest, bucket, key string) ([]byte, meta.Encryption, error) {
	switch req.Type {
	case meta.SSENone, meta.SSES3:
	default:
		return nil, meta.Encryption{}, s3err.NotImplemented.WithMessage("Server-side encryption %s is not implemented yet.", req.Type)
	}
	dek, err := sse.NewDEK()
	if err != nil {
		return nil, meta.Encryption{}, err
	}
	sealed, err := s.keys.Seal(dek, sealAAD(bucket, key))
	if err != nil {
		return nil, meta.Encryption{}, err
	}
	return dek, meta.Encryption{Type: meta.SSES3, SealedKey: sealed}, nil
}

// dataKey unseals the data key of an object version or upload.
func (s *Service) dataKey(ctx context.Context, enc meta.Encryption, bucket, key string) ([]byte, error) {
	switch enc.Type {
	case meta.SSES3:
		dek, err := s.keys.Open(enc.SealedKey, sealAAD(bucket, key))
		if err != nil {
			return nil, s3err.InternalError.Wrap(err)
		}
		return dek, nil
	default:
		return nil, s3err.NotImplemented.WithMessage("Server-side encryption %s is not implemented yet.", enc.Type)
	}
}
