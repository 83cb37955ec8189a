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

// BucketKeyRecheck bounds how long a cached S3 Bucket Key is used without
// checking that its KMS key may still be used: once an entry was last
// checked longer ago, its next use first asks the KMS whether the key is
// still enabled (ResolveKey) and the requester still permitted
// (CheckKeyUse) — lookups in the metadata store, no cryptography. So a KMS
// key disabled, scheduled for deletion or denied by a policy change on any
// node stops working through the cache on every node within this bound
// (docs/scale-out.md, "Caches").
const BucketKeyRecheck = 10 * time.Second

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
	checked     time.Time // when the KMS last confirmed the key's use
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

func (c *bucketKeyCache) drop(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
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
	encCtx := map[string]string{"aws:s3:arn": bucketARN(bucket)}
	if bk, ok := e.bucketKeys.get(cacheKey, e.now()); ok {
		if err := e.recheck(ctx, cacheKey, bk, acc, encCtx, "GenerateDataKey"); err != nil {
			return bucketKey{}, err
		}
		return bk, nil
	}
	plain, blob, arn, err := e.kms.NewDataKey(ctx, e.viaS3(acc.Caller), kmsKeyID(keyID), encCtx)
	if err != nil {
		return bucketKey{}, kmsError(err)
	}
	now := e.now()
	bk := bucketKey{plain: plain, blob: blob, keyARN: arn, expires: now.Add(BucketKeyTTL), checked: now}
	e.bucketKeys.put(cacheKey, bk)
	e.bucketKeys.put(readCacheKey(blob, acc.Caller.Principal.ARN), bk)
	return bk, nil
}

// openUnderBucketKey opens a DEK sealed under an S3 Bucket Key, asking the
// KMS for the bucket key only when it is not cached.
func (e *Envelope) openUnderBucketKey(ctx context.Context, enc kura.Encryption, bucket string, aad []byte, acc Access) (DataKeys, error) {
	ck := readCacheKey(enc.BucketKeyBlob, acc.Caller.Principal.ARN)
	encCtx := map[string]string{"aws:s3:arn": bucketARN(bucket)}
	bk, ok := e.bucketKeys.get(ck, e.now())
	if ok {
		if err := e.recheck(ctx, ck, bk, acc, encCtx, "Decrypt"); err != nil {
			return DataKeys{}, err
		}
	} else {
		plain, arn, err := e.kms.OpenDataKey(ctx, e.viaS3(acc.Caller), enc.BucketKeyBlob, encCtx)
		if err != nil {
			return DataKeys{}, kmsError(err)
		}
		now := e.now()
		bk = bucketKey{plain: plain, blob: enc.BucketKeyBlob, keyARN: arn, expires: now.Add(BucketKeyTTL), checked: now}
		e.bucketKeys.put(ck, bk)
	}
	dek, err := OpenWithKey(bucketKEK(bk.plain), enc.SealedKey, aad)
	if err != nil {
		return DataKeys{}, s3err.Internal(err)
	}
	return DataKeys{DEK: dek}, nil
}

// recheck confirms, once the cached entry bk (under name) was last checked
// BucketKeyRecheck ago or more, that its KMS key is still enabled and that
// acc's requester may still do action with it. A refusal drops the entry
// and is the request's answer, as the KMS call the cache stands in for
// would have been.
func (e *Envelope) recheck(ctx context.Context, name string, bk bucketKey, acc Access, encCtx map[string]string, action string) error {
	now := e.now()
	if now.Sub(bk.checked) < BucketKeyRecheck {
		return nil
	}
	call := e.viaS3(acc.Caller)
	_, err := e.kms.ResolveKey(ctx, call, bk.keyARN)
	if err == nil {
		err = e.kms.CheckKeyUse(ctx, call, bk.keyARN, encCtx, action)
	}
	if err != nil {
		e.bucketKeys.drop(name)
		return kmsError(err)
	}
	bk.checked = now
	e.bucketKeys.put(name, bk)
	return nil
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
