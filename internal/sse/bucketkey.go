package sse

import (
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// S3 Bucket Keys: under SSE-KMS with a bucket key, an object's DEK is
// sealed under a key derived from a bucket-level data key that the KMS
// generated (its ciphertext, BucketKeyBlob, is kept in the record; its
// encryption context is the bucket ARN). The plaintext bucket key is
// cached for a while, so that writes and reads cost the KMS one call per
// key and requester per TTL instead of one per object.

// BucketKeyTTL bounds how long a plaintext S3 Bucket Key is reused before
// the KMS is asked again.
const BucketKeyTTL = 5 * time.Minute

// bucketKeyCache caches plaintext S3 Bucket Keys: for writes by (bucket,
// KMS key as named, requester) — S3 fetches a bucket key at least once per
// requester so each appears in the KMS trail — and for reads by the
// bucket key's ciphertext and requester.
type bucketKeyCache struct {
	mu           sync.Mutex
	entries      map[string]bucketKey
	hits, misses atomic.Int64
}

type bucketKey struct {
	plain, blob []byte
	keyARN      string
	expires     time.Time
}

func (c *bucketKeyCache) get(k string, now time.Time) (bucketKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || now.After(e.expires) {
		delete(c.entries, k)
		c.misses.Add(1)
		return bucketKey{}, false
	}
	c.hits.Add(1)
	return e, true
}

func (c *bucketKeyCache) put(k string, e bucketKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]bucketKey{}
	}
	c.entries[k] = e
}

// BucketKeyCacheStats is how often an S3 Bucket Key was found in the
// cache (no KMS call) and how often the KMS had to be asked.
func (e *Envelope) BucketKeyCacheStats() (hits, misses int64) {
	return e.bucketKeys.hits.Load(), e.bucketKeys.misses.Load()
}

// sealUnderBucketKey seals dek under the S3 Bucket Key for (bucket, KMS
// key, requester), fetching one from the KMS only when none is cached.
func (e *Envelope) sealUnderBucketKey(ctx context.Context, dek []byte, req Request, bucket, key string, acc Access) (kura.Encryption, error) {
	bk, err := e.writeBucketKey(ctx, bucket, req.KMSKeyID, acc)
	if err != nil {
		return kura.Encryption{}, err
	}
	sealed, err := SealWithKey(bucketKEK(bk.plain), dek, sealAAD(bucket, key))
	if err != nil {
		return kura.Encryption{}, s3err.Internal(err)
	}
	return kura.Encryption{Type: kura.SSEKMS, SealedKey: sealed, KMSKeyARN: bk.keyARN,
		BucketKeyEnabled: true, BucketKeyBlob: bk.blob, Context: req.Context}, nil
}

// writeBucketKey returns the S3 Bucket Key that new data keys in bucket
// are sealed under for the KMS key keyID (as named; empty: aws/s3) and
// acc's requester, asking the KMS for one only when none is cached. PUTs
// and re-seals share it, so both cost the KMS one call per TTL.
func (e *Envelope) writeBucketKey(ctx context.Context, bucket, keyID string, acc Access) (bucketKey, error) {
	if e.kms == nil {
		return bucketKey{}, errNoKMS
	}
	cacheKey := "w\x00" + bucket + "\x00" + keyID + "\x00" + acc.Caller.Principal.ARN
	if bk, ok := e.bucketKeys.get(cacheKey, e.now()); ok {
		return bk, nil
	}
	encCtx := map[string]string{"aws:s3:arn": bucketARN(bucket)}
	plain, blob, arn, err := e.kms.NewDataKey(ctx, e.viaS3(acc.Caller), kmsKeyID(keyID), encCtx)
	if err != nil {
		return bucketKey{}, kmsError(err)
	}
	bk := bucketKey{plain: plain, blob: blob, keyARN: arn, expires: e.now().Add(BucketKeyTTL)}
	e.bucketKeys.put(cacheKey, bk)
	e.bucketKeys.put(readCacheKey(blob, acc.Caller.Principal.ARN), bk)
	return bk, nil
}

// openUnderBucketKey opens a DEK sealed under an S3 Bucket Key, asking the
// KMS for the bucket key only when it is not cached.
func (e *Envelope) openUnderBucketKey(ctx context.Context, enc kura.Encryption, bucket string, aad []byte, acc Access) (DataKeys, error) {
	ck := readCacheKey(enc.BucketKeyBlob, acc.Caller.Principal.ARN)
	bk, ok := e.bucketKeys.get(ck, e.now())
	if !ok {
		plain, arn, err := e.kms.OpenDataKey(ctx, e.viaS3(acc.Caller), enc.BucketKeyBlob, map[string]string{"aws:s3:arn": bucketARN(bucket)})
		if err != nil {
			return DataKeys{}, kmsError(err)
		}
		bk = bucketKey{plain: plain, blob: enc.BucketKeyBlob, keyARN: arn, expires: e.now().Add(BucketKeyTTL)}
		e.bucketKeys.put(ck, bk)
	}
	dek, err := OpenWithKey(bucketKEK(bk.plain), enc.SealedKey, aad)
	if err != nil {
		return DataKeys{}, s3err.Internal(err)
	}
	return DataKeys{DEK: dek}, nil
}

func bucketKEK(plain []byte) []byte { return DeriveKey(plain, "kura bucket key kek v1") }

// readCacheKey names a cached bucket key for reads by one requester. The
// requester is part of the name because the cache stands in for a KMS
// Decrypt that the KMS authorizes per caller: a user without kms:Decrypt
// must not read through another user's cached bucket key.
func readCacheKey(blob []byte, requester string) string {
	h := sha256.Sum256(blob)
	return "r\x00" + requester + "\x00" + string(h[:])
}
