package object

import (
	"context"
	"crypto/sha256"
	"strconv"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// SSERequest is the server-side encryption a write asks for. The zero value
// means "the bucket default".
type SSERequest struct {
	Type kura.SSEType
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

// forPart derives the keys of part n of a multipart object.
func (k dataKeys) forPart(n int) dataKeys {
	out := dataKeys{DEK: partKey(k.DEK, n)}
	if k.DEK2 != nil {
		out.DEK2 = partKey(k.DEK2, n)
	}
	return out
}

// resolveSSE applies the bucket's default encryption to a write and
// enforces its blocked encryption types.
func resolveSSE(req SSERequest, b *kura.Bucket, key string, acc KeyAccess, action string) (SSERequest, error) {
	def := b.Encryption
	if def.Blocks(req.Type) {
		return req, s3err.AccessDenied.WithMessage("User: %s is not authorized to perform: %s on resource: \"%s\" because this bucket has blocked upload requests that specify Server Side Encryption with Customer provided keys (SSE-C). Please specify a different server-side encryption type",
			acc.Caller.Principal.ARN, action, objectARN(b.Name, key))
	}
	if req.Type == kura.SSENone {
		if def == nil {
			return SSERequest{Type: kura.SSES3}, nil
		}
		req.Type, req.KMSKeyID = def.Algorithm, def.KMSMasterKeyID
	}
	if req.BucketKey == nil && def != nil {
		req.BucketKey = &def.BucketKeyEnabled
	}
	return req, nil
}

// writeKeys creates the data key(s) of a new object version or upload of
// key in bucket b: the request's encryption, or the bucket default.
func (s *Service) writeKeys(ctx context.Context, b *kura.Bucket, key string, req SSERequest, acc KeyAccess) (dataKeys, kura.Encryption, error) {
	req, err := resolveSSE(req, b, key, acc, "s3:PutObject")
	if err != nil {
		return dataKeys{}, kura.Encryption{}, err
	}
	return s.newDataKey(ctx, req, b.Name, key, acc)
}

// newDataKey creates the data key(s) of a new object version or upload of
// bucket/key and seals them as req asks.
func (s *Service) newDataKey(ctx context.Context, req SSERequest, bucket, key string, acc KeyAccess) (dataKeys, kura.Encryption, error) {
	dek, err := sse.NewDEK()
	if err != nil {
		return dataKeys{}, kura.Encryption{}, internal(err)
	}
	switch req.Type {
	case kura.SSENone, kura.SSES3:
		sealed, err := s.keys.Seal(dek, sealAAD(bucket, key))
		return dataKeys{DEK: dek}, kura.Encryption{Type: kura.SSES3, SealedKey: sealed}, internal(err)
	case kura.SSEC:
		sealed, err := sse.SealWithKey(customerKEK(req.CustomerKey), dek, sealAAD(bucket, key))
		salt := randomBytes(16)
		return dataKeys{DEK: dek}, kura.Encryption{Type: kura.SSEC, SealedKey: sealed, CustomerKeyMD5: req.CustomerKeyMD5,
			CustomerKeySalt: salt, CustomerKeyHMAC: customerKeyHMAC(salt, req.CustomerKey)}, internal(err)
	case kura.SSEKMS:
		if req.BucketKey != nil && *req.BucketKey {
			return s.newBucketKeyed(ctx, req, bucket, key, acc, dek)
		}
		return s.newKMSKey(ctx, req, bucket, key, acc)
	case kura.SSEDSSE:
		outer, enc, err := s.newKMSKey(ctx, req, bucket, key, acc)
		if err != nil {
			return dataKeys{}, enc, err
		}
		inner, enc2, err := s.newKMSKey(ctx, req, bucket, key, acc)
		if err != nil {
			return dataKeys{}, enc, err
		}
		enc.Type, enc.SealedKey2 = kura.SSEDSSE, enc2.SealedKey
		return dataKeys{DEK: outer.DEK, DEK2: inner.DEK}, enc, nil
	}
	return dataKeys{}, kura.Encryption{}, s3err.InvalidArgument.WithMessage("The encryption method specified is not supported")
}

// newKMSKey asks KMS for a data key bound to the object's ARN.
func (s *Service) newKMSKey(ctx context.Context, req SSERequest, bucket, key string, acc KeyAccess) (dataKeys, kura.Encryption, error) {
	if s.kms == nil {
		return dataKeys{}, kura.Encryption{}, s3err.NotImplemented.WithMessage("SSE-KMS needs the built-in KMS, which this server was started without.")
	}
	encCtx, err := kmsContext(req.Context, objectARN(bucket, key))
	if err != nil {
		return dataKeys{}, kura.Encryption{}, internal(err)
	}
	plain, blob, arn, err := s.kms.GenerateDataKey(ctx, s.viaS3(acc.Caller), kmsKeyID(req.KMSKeyID), encCtx, 32)
	if err != nil {
		return dataKeys{}, kura.Encryption{}, kmsError(err)
	}
	return dataKeys{DEK: plain}, kura.Encryption{Type: kura.SSEKMS, SealedKey: blob, KMSKeyARN: arn, Context: req.Context}, nil
}

// kmsKeyID is the key S3 uses when a request names none: the AWS managed
// key aws/s3 of the caller's account.
func kmsKeyID(id string) string {
	if id == "" {
		return "alias/aws/s3"
	}
	return id
}

// newBucketKeyed seals a fresh DEK under the S3 Bucket Key for (bucket,
// KMS key, requester), fetching one from KMS only when none is cached.
func (s *Service) newBucketKeyed(ctx context.Context, req SSERequest, bucket, key string, acc KeyAccess, dek []byte) (dataKeys, kura.Encryption, error) {
	bk, err := s.writeBucketKey(ctx, bucket, req.KMSKeyID, acc)
	if err != nil {
		return dataKeys{}, kura.Encryption{}, err
	}
	sealed, err := sse.SealWithKey(bucketKEK(bk.plain), dek, sealAAD(bucket, key))
	if err != nil {
		return dataKeys{}, kura.Encryption{}, internal(err)
	}
	return dataKeys{DEK: dek}, kura.Encryption{Type: kura.SSEKMS, SealedKey: sealed, KMSKeyARN: bk.keyARN,
		BucketKeyEnabled: true, BucketKeyBlob: bk.blob, Context: req.Context}, nil
}

// writeBucketKey returns the S3 Bucket Key that new data keys in bucket
// are sealed under for the KMS key keyID (as named; empty: aws/s3) and
// acc's requester, asking KMS for one only when none is cached. PUTs and
// UpdateObjectEncryption share it, so both cost KMS one call per TTL.
func (s *Service) writeBucketKey(ctx context.Context, bucket, keyID string, acc KeyAccess) (bucketKey, error) {
	if s.kms == nil {
		return bucketKey{}, s3err.NotImplemented.WithMessage("SSE-KMS needs the built-in KMS, which this server was started without.")
	}
	cacheKey := "w\x00" + bucket + "\x00" + keyID + "\x00" + acc.Caller.Principal.ARN
	if bk, ok := s.bucketKeys.get(cacheKey, s.now()); ok {
		return bk, nil
	}
	encCtx := map[string]string{"aws:s3:arn": bucketARN(bucket)}
	plain, blob, arn, err := s.kms.GenerateDataKey(ctx, s.viaS3(acc.Caller), kmsKeyID(keyID), encCtx, 32)
	if err != nil {
		return bucketKey{}, kmsError(err)
	}
	bk := bucketKey{plain: plain, blob: blob, keyARN: arn, expires: s.now().Add(bucketKeyTTL)}
	s.bucketKeys.put(cacheKey, bk)
	s.bucketKeys.put(readCacheKey(blob, acc.Caller.Principal.ARN), bk)
	return bk, nil
}

func bucketKEK(plain []byte) []byte { return sse.DeriveKey(plain, "kura bucket key kek v1") }

// readCacheKey names a cached bucket key for reads by one requester. The
// requester is part of the name because the cache stands in for a KMS
// Decrypt that KMS authorizes per caller: a user without kms:Decrypt must
// not read through another user's cached bucket key.
func readCacheKey(blob []byte, requester string) string {
	h := sha256.Sum256(blob)
	return "r\x00" + requester + "\x00" + string(h[:])
}

// dataKey unseals the data key(s) of an object version or upload of
// bucket/key. SSE-C needs acc.CustomerKey (checked with CheckCustomerKey
// first); SSE-KMS and DSSE-KMS ask KMS as acc.Caller.
func (s *Service) dataKey(ctx context.Context, enc kura.Encryption, bucket, key string, acc KeyAccess) (dataKeys, error) {
	aad := sealAAD(bucket, key)
	switch enc.Type {
	case kura.SSES3:
		dek, err := s.keys.Open(enc.SealedKey, aad)
		if err != nil {
			return dataKeys{}, s3err.InternalError.Wrap(err)
		}
		return dataKeys{DEK: dek}, nil
	case kura.SSEC:
		if err := CheckCustomerKey(enc, acc.CustomerKey); err != nil {
			return dataKeys{}, err
		}
		dek, err := sse.OpenWithKey(customerKEK(acc.CustomerKey), enc.SealedKey, aad)
		if err != nil {
			return dataKeys{}, s3err.AccessDenied.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.")
		}
		return dataKeys{DEK: dek}, nil
	case kura.SSEKMS, kura.SSEDSSE:
		if s.kms == nil {
			return dataKeys{}, s3err.NotImplemented.WithMessage("SSE-KMS needs the built-in KMS, which this server was started without.")
		}
		if enc.BucketKeyEnabled {
			return s.openBucketKeyed(ctx, enc, bucket, aad, acc)
		}
		encCtx, err := kmsContext(enc.Context, objectARN(bucket, key))
		if err != nil {
			return dataKeys{}, internal(err)
		}
		var keys dataKeys
		if keys.DEK, _, err = s.kms.Decrypt(ctx, s.viaS3(acc.Caller), enc.SealedKey, encCtx); err != nil {
			return dataKeys{}, kmsError(err)
		}
		if enc.Type == kura.SSEDSSE {
			if keys.DEK2, _, err = s.kms.Decrypt(ctx, s.viaS3(acc.Caller), enc.SealedKey2, encCtx); err != nil {
				return dataKeys{}, kmsError(err)
			}
		}
		return keys, nil
	}
	return dataKeys{}, s3err.InternalError.WithMessage("unknown encryption type %q", enc.Type)
}

// openBucketKeyed unseals a DEK sealed under an S3 Bucket Key, asking KMS
// for the bucket key only when it is not cached.
func (s *Service) openBucketKeyed(ctx context.Context, enc kura.Encryption, bucket string, aad []byte, acc KeyAccess) (dataKeys, error) {
	ck := readCacheKey(enc.BucketKeyBlob, acc.Caller.Principal.ARN)
	bk, ok := s.bucketKeys.get(ck, s.now())
	if !ok {
		plain, arn, err := s.kms.Decrypt(ctx, s.viaS3(acc.Caller), enc.BucketKeyBlob, map[string]string{"aws:s3:arn": bucketARN(bucket)})
		if err != nil {
			return dataKeys{}, kmsError(err)
		}
		bk = bucketKey{plain: plain, blob: enc.BucketKeyBlob, keyARN: arn, expires: s.now().Add(bucketKeyTTL)}
		s.bucketKeys.put(ck, bk)
	}
	dek, err := sse.OpenWithKey(bucketKEK(bk.plain), enc.SealedKey, aad)
	if err != nil {
		return dataKeys{}, s3err.InternalError.Wrap(err)
	}
	return dataKeys{DEK: dek}, nil
}
