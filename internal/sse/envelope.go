package sse

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// The envelope: every object version and multipart upload has its own
// data key (DEK; DSSE-KMS a second one, DEK2, for its inner layer), and its
// record keeps that key sealed as its encryption type says — under the
// store's managed key (SSE-S3), a KMS key (SSE-KMS, DSSE-KMS), an S3
// Bucket Key that a KMS key seals (SSE-KMS with a bucket key) or a key
// derived from the customer's (SSE-C). Envelope makes data keys (NewKeys),
// opens them for reading (Open), and seals them for another target
// (Seal, Reseal) without the data being touched: the blob is encrypted
// under the DEK, and only the seal changes. It never stores or logs a
// plaintext key; the caller commits the kura.Encryption it returns.

// Request is the encryption a write asks for, with the bucket's default
// already applied (object.resolveSSE); it is also the target of a
// re-seal.
type Request struct {
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
	// Resolved says KMSKeyID is a key ARN that ResolveKey has already
	// resolved, and found usable, for this caller and this work (a group
	// of re-seals under one key): Reseal does not look the key up again.
	Resolved bool
	// Batch, when set, is the SSE-KMS target key resolved for this
	// caller's group of seals (Envelope.BatchKey): a seal without a bucket
	// key uses it instead of looking the key up again. It must be the key
	// KMSKeyID names.
	Batch *BatchedKey
}

func (r Request) bucketKey() bool { return r.BucketKey != nil && *r.BucketKey }

// Access is what a request brings to use data keys: who is asking (the
// KMS authorizes and audits the caller) and, for SSE-C, the customer's
// key.
type Access struct {
	Caller      kura.Call
	CustomerKey []byte
}

// DataKeys are the plaintext data keys of one object version or upload:
// DEK encrypts the blob; DEK2 is DSSE-KMS's second, inner layer.
type DataKeys struct {
	DEK, DEK2 []byte
}

// ForPart derives the keys of part n of a multipart object from the
// upload's, so parts cannot be swapped for one another undetected.
func (k DataKeys) ForPart(n int) DataKeys {
	out := DataKeys{DEK: partKey(k.DEK, n)}
	if k.DEK2 != nil {
		out.DEK2 = partKey(k.DEK2, n)
	}
	return out
}

// Clear overwrites the keys.
func (k DataKeys) Clear() {
	clear(k.DEK)
	clear(k.DEK2)
}

// OpaqueETag is the ETag of an object whose ETag is not the MD5 of its
// data (SSE-KMS, DSSE-KMS and SSE-C PUTs, as in S3): 32 hex digits
// derived from the object's data key (HKDF-SHA256, "kura etag v1"). The
// data key is random per object version, so the ETag is one version's and
// says nothing of the plaintext (an MD5 would, and costs a hash of every
// byte); re-keying re-seals the same data key, so it stays derivable, and
// integrity verification checks it (object.VerifyVersion).
func (k DataKeys) OpaqueETag() string {
	return hex.EncodeToString(DeriveKey(k.DEK, "kura etag v1")[:16])
}

func partKey(dek []byte, n int) []byte {
	return DeriveKey(dek, "kura part "+strconv.Itoa(n))
}

// EnvelopeConfig wires an Envelope.
type EnvelopeConfig struct {
	Managed *ManagedKey // the SSE-S3 wrapping key
	KMS     KeyService  // for SSE-KMS, DSSE-KMS and bucket keys; nil disables them
	// Region names the S3 endpoint in the KMS calls S3 makes for a caller
	// (kms:ViaService s3.<region>.amazonaws.com).
	Region string
	Now    func() time.Time // for the bucket key cache; nil: time.Now
}

// Envelope creates, opens and re-seals data keys. It is safe for
// concurrent use. It holds the S3 Bucket Key cache, so one Envelope
// should serve every request of a process.
type Envelope struct {
	managed    *ManagedKey
	kms        KeyService
	region     string
	now        func() time.Time
	bucketKeys bucketKeyCache
}

// NewEnvelope returns an Envelope.
func NewEnvelope(cfg EnvelopeConfig) *Envelope {
	e := &Envelope{managed: cfg.Managed, kms: cfg.KMS, region: cfg.Region, now: cfg.Now}
	if e.now == nil {
		e.now = time.Now
	}
	return e
}

// HasKMS reports whether the envelope has a KMS, without which SSE-KMS,
// DSSE-KMS and re-sealing under a KMS key are refused.
func (e *Envelope) HasKMS() bool { return e.kms != nil }

var errNoKMS = s3err.NotImplemented.WithMessage("SSE-KMS needs the built-in KMS, which this server was started without.")

// ErrLayers refuses a re-seal that would change how many layers of
// encryption the data has: DSSE-KMS data has two, every other type one.
// Such a change rewrites the data (CopyObject), it is not a re-seal.
var ErrLayers = s3err.InvalidRequest.WithMessage("%s", "The encryption type can only be changed between DSSE-KMS and itself, or among SSE-S3, SSE-KMS and SSE-C, without rewriting the data. Copy the object to change it otherwise.")

// NewKeys creates the data key(s) of a new object version or upload of
// bucket/key and seals them as req asks: the plaintext keys to encrypt
// its data with, and the encryption block to store in its record.
// SSE-KMS asks the KMS for the data key (GenerateDataKey), or seals a
// fresh one under the cached S3 Bucket Key; DSSE-KMS asks twice.
func (e *Envelope) NewKeys(ctx context.Context, req Request, bucket, key string, acc Access) (DataKeys, kura.Encryption, error) {
	dek, err := NewDEK()
	if err != nil {
		return DataKeys{}, kura.Encryption{}, s3err.Internal(err)
	}
	switch req.Type {
	case kura.SSENone, kura.SSES3, kura.SSEC:
		enc, err := e.seal(ctx, DataKeys{DEK: dek}, req, bucket, key, acc)
		return DataKeys{DEK: dek}, enc, err
	case kura.SSEKMS:
		if req.bucketKey() {
			enc, err := e.sealUnderBucketKey(ctx, dek, req, bucket, key, acc)
			return DataKeys{DEK: dek}, enc, err
		}
		return e.newKMSKey(ctx, req, bucket, key, acc)
	case kura.SSEDSSE:
		outer, enc, err := e.newKMSKey(ctx, req, bucket, key, acc)
		if err != nil {
			return DataKeys{}, enc, err
		}
		inner, enc2, err := e.newKMSKey(ctx, req, bucket, key, acc)
		if err != nil {
			return DataKeys{}, enc, err
		}
		enc.Type, enc.SealedKey2 = kura.SSEDSSE, enc2.SealedKey
		return DataKeys{DEK: outer.DEK, DEK2: inner.DEK}, enc, nil
	}
	return DataKeys{}, kura.Encryption{}, s3err.InvalidArgument.WithMessage("The encryption method specified is not supported")
}

// newKMSKey asks the KMS for a data key bound to the object's ARN.
func (e *Envelope) newKMSKey(ctx context.Context, req Request, bucket, key string, acc Access) (DataKeys, kura.Encryption, error) {
	if e.kms == nil {
		return DataKeys{}, kura.Encryption{}, errNoKMS
	}
	encCtx, err := kmsContext(req.Context, objectARN(bucket, key))
	if err != nil {
		return DataKeys{}, kura.Encryption{}, s3err.Internal(err)
	}
	plain, blob, arn, err := e.kms.NewDataKey(ctx, e.viaS3(acc.Caller), kmsKeyID(req.KMSKeyID), encCtx)
	if err != nil {
		return DataKeys{}, kura.Encryption{}, kmsError(err)
	}
	return DataKeys{DEK: plain}, kura.Encryption{Type: kura.SSEKMS, SealedKey: blob, KMSKeyARN: arn, Context: req.Context}, nil
}

// Seal seals existing data keys for target, as NewKeys would have sealed
// new ones, except that SSE-KMS without a bucket key and DSSE-KMS seal
// them with the KMS's Encrypt (the key exists already). keys must have as
// many layers as target (ErrLayers otherwise). Replication to another
// deployment opens with the source's Envelope and seals with the
// destination's.
func (e *Envelope) Seal(ctx context.Context, keys DataKeys, target Request, bucket, key string, acc Access) (kura.Encryption, error) {
	if (keys.DEK2 != nil) != (target.Type == kura.SSEDSSE) {
		return kura.Encryption{}, ErrLayers
	}
	return e.seal(ctx, keys, target, bucket, key, acc)
}

func (e *Envelope) seal(ctx context.Context, keys DataKeys, target Request, bucket, key string, acc Access) (kura.Encryption, error) {
	aad := sealAAD(bucket, key)
	switch target.Type {
	case kura.SSENone, kura.SSES3:
		sealed, err := e.managed.Seal(keys.DEK, aad)
		return kura.Encryption{Type: kura.SSES3, SealedKey: sealed}, s3err.Internal(err)
	case kura.SSEC:
		sealed, err := SealWithKey(customerKEK(target.CustomerKey), keys.DEK, aad)
		salt := randomBytes(16)
		return kura.Encryption{Type: kura.SSEC, SealedKey: sealed, CustomerKeyMD5: target.CustomerKeyMD5,
			CustomerKeySalt: salt, CustomerKeyHMAC: customerKeyHMAC(salt, target.CustomerKey)}, s3err.Internal(err)
	case kura.SSEKMS, kura.SSEDSSE:
		if e.kms == nil {
			return kura.Encryption{}, errNoKMS
		}
		if target.Type == kura.SSEKMS && target.bucketKey() {
			return e.sealUnderBucketKey(ctx, keys.DEK, target, bucket, key, acc)
		}
		encCtx, err := kmsContext(target.Context, objectARN(bucket, key))
		if err != nil {
			return kura.Encryption{}, s3err.Internal(err)
		}
		call := e.viaS3(acc.Caller)
		sealKey := func(dek []byte) ([]byte, string, error) {
			if target.Batch != nil {
				return target.Batch.b.SealDataKey(ctx, dek, encCtx)
			}
			return e.kms.SealDataKey(ctx, call, kmsKeyID(target.KMSKeyID), dek, encCtx)
		}
		blob, arn, err := sealKey(keys.DEK)
		if err != nil {
			return kura.Encryption{}, kmsError(err)
		}
		enc := kura.Encryption{Type: target.Type, SealedKey: blob, KMSKeyARN: arn, Context: target.Context}
		if target.Type == kura.SSEDSSE {
			if enc.SealedKey2, _, err = sealKey(keys.DEK2); err != nil {
				return kura.Encryption{}, kmsError(err)
			}
		}
		return enc, nil
	}
	return kura.Encryption{}, s3err.InvalidArgument.WithMessage("The encryption method specified is not supported")
}

// Reseal seals the data key(s) of an object version or upload of
// bucket/key, now sealed as src says, for target, and returns the new
// encryption block: exactly what a write in that mode would have stored,
// so reads need nothing new. The data is not touched. This is
// UpdateObjectEncryption's re-seal, and what re-keying for another KMS
// needs.
//
// A KMS target key is resolved first, so a missing or disabled key fails
// the same way whether or not a bucket key for it is cached. From SSE-KMS
// (or DSSE-KMS) without a bucket key to the same type without one, the
// KMS re-encrypts the sealed key and the plaintext never leaves it;
// otherwise the key is opened (as acc) and sealed for target. The number
// of layers cannot change (ErrLayers).
func (e *Envelope) Reseal(ctx context.Context, src kura.Encryption, bucket, key string, target Request, acc Access) (kura.Encryption, error) {
	if (src.Type == kura.SSEDSSE) != (target.Type == kura.SSEDSSE) {
		return kura.Encryption{}, ErrLayers
	}
	if target.Type == kura.SSEKMS || target.Type == kura.SSEDSSE {
		if e.kms == nil {
			return kura.Encryption{}, errNoKMS
		}
		switch {
		case target.Resolved:
		case target.Batch != nil:
			// The batch looked the key up and checked its state when it
			// was made, as ResolveKey would now.
			target.KMSKeyID = target.Batch.ARN()
		default:
			keyARN, err := e.ResolveKey(ctx, target.KMSKeyID, acc)
			if err != nil {
				return kura.Encryption{}, err
			}
			target.KMSKeyID = keyARN
		}
		if src.Type == target.Type && !src.BucketKeyEnabled && !target.bucketKey() {
			return e.reencrypt(ctx, src, bucket, key, target, acc)
		}
	}
	keys, err := e.Open(ctx, src, bucket, key, acc)
	if err != nil {
		return kura.Encryption{}, err
	}
	defer keys.Clear()
	return e.seal(ctx, keys, target, bucket, key, acc)
}

// ResolveKey returns the ARN of the KMS key keyID names (empty: aws/s3),
// failing as a use of the key would if it is missing, disabled or pending
// deletion.
func (e *Envelope) ResolveKey(ctx context.Context, keyID string, acc Access) (string, error) {
	if e.kms == nil {
		return "", errNoKMS
	}
	keyARN, err := e.kms.ResolveKey(ctx, e.viaS3(acc.Caller), kmsKeyID(keyID))
	if err != nil {
		return "", kmsError(err)
	}
	return keyARN, nil
}

// reencrypt is Reseal from KMS to KMS: the data key never leaves the KMS
// in plaintext.
func (e *Envelope) reencrypt(ctx context.Context, src kura.Encryption, bucket, key string, target Request, acc Access) (kura.Encryption, error) {
	srcCtx, err := kmsContext(src.Context, objectARN(bucket, key))
	if err != nil {
		return kura.Encryption{}, s3err.Internal(err)
	}
	dstCtx, err := kmsContext(target.Context, objectARN(bucket, key))
	if err != nil {
		return kura.Encryption{}, s3err.Internal(err)
	}
	call := e.viaS3(acc.Caller)
	reseal := func(sealed []byte) ([]byte, string, error) {
		if target.Batch != nil {
			return target.Batch.b.ResealDataKey(ctx, sealed, srcCtx, dstCtx)
		}
		return e.kms.ResealDataKey(ctx, call, sealed, srcCtx, target.KMSKeyID, dstCtx)
	}
	blob, arn, err := reseal(src.SealedKey)
	if err != nil {
		return kura.Encryption{}, kmsError(err)
	}
	enc := kura.Encryption{Type: target.Type, SealedKey: blob, KMSKeyARN: arn, Context: target.Context}
	if target.Type == kura.SSEDSSE {
		if enc.SealedKey2, _, err = reseal(src.SealedKey2); err != nil {
			return kura.Encryption{}, kmsError(err)
		}
	}
	return enc, nil
}

// Open recovers the data key(s) of an object version or upload of
// bucket/key. SSE-C needs acc.CustomerKey (CheckCustomerKey is applied);
// SSE-KMS and DSSE-KMS ask the KMS as acc.Caller, or use the cached
// bucket key.
func (e *Envelope) Open(ctx context.Context, enc kura.Encryption, bucket, key string, acc Access) (DataKeys, error) {
	aad := sealAAD(bucket, key)
	switch enc.Type {
	case kura.SSES3:
		dek, err := e.managed.Open(enc.SealedKey, aad)
		if err != nil {
			return DataKeys{}, s3err.InternalError.Wrap(err)
		}
		return DataKeys{DEK: dek}, nil
	case kura.SSEC:
		if err := CheckCustomerKey(enc, acc.CustomerKey); err != nil {
			return DataKeys{}, err
		}
		if enc.SealBucket != "" {
			// A replica keeps its source's seal (replication never holds
			// the customer's key to make another), bound to the source
			// bucket's name.
			aad = sealAAD(enc.SealBucket, key)
		}
		dek, err := OpenWithKey(customerKEK(acc.CustomerKey), enc.SealedKey, aad)
		if err != nil {
			return DataKeys{}, errWrongCustomerKey
		}
		return DataKeys{DEK: dek}, nil
	case kura.SSEKMS, kura.SSEDSSE:
		if e.kms == nil {
			return DataKeys{}, errNoKMS
		}
		if enc.BucketKeyEnabled {
			return e.openUnderBucketKey(ctx, enc, bucket, aad, acc)
		}
		encCtx, err := kmsContext(enc.Context, objectARN(bucket, key))
		if err != nil {
			return DataKeys{}, s3err.Internal(err)
		}
		call := e.viaS3(acc.Caller)
		var keys DataKeys
		if keys.DEK, _, err = e.kms.OpenDataKey(ctx, call, enc.SealedKey, encCtx); err != nil {
			return DataKeys{}, kmsError(err)
		}
		if enc.Type == kura.SSEDSSE {
			if keys.DEK2, _, err = e.kms.OpenDataKey(ctx, call, enc.SealedKey2, encCtx); err != nil {
				return DataKeys{}, kmsError(err)
			}
		}
		return keys, nil
	}
	return DataKeys{}, s3err.InternalError.WithMessage("unknown encryption type %q", enc.Type)
}

// ErrCustomerKeyNeeded is OpenOffline's answer for SSE-C: the key is the
// customer's and never stored.
var ErrCustomerKeyNeeded = errors.New("sse: SSE-C data key needs the customer's key")

// OpenOffline recovers the data key(s) of a version or upload of
// bucket/key without a caller: the managed key for SSE-S3, the KMS's key
// material (OfflineKeyService) for SSE-KMS and DSSE-KMS, bucket keys
// included; nothing is authorized, audited or cached. It is for `kura
// fsck` and must never serve a request.
func (e *Envelope) OpenOffline(ctx context.Context, enc kura.Encryption, bucket, key string) (DataKeys, error) {
	aad := sealAAD(bucket, key)
	switch enc.Type {
	case kura.SSES3:
		dek, err := e.managed.Open(enc.SealedKey, aad)
		return DataKeys{DEK: dek}, err
	case kura.SSEC:
		return DataKeys{}, ErrCustomerKeyNeeded
	case kura.SSEKMS, kura.SSEDSSE:
		offline, ok := e.kms.(OfflineKeyService)
		if !ok {
			return DataKeys{}, errors.New("SSE-KMS data, but no KMS to unseal its key")
		}
		if enc.BucketKeyEnabled {
			plain, err := offline.UnsealOffline(ctx, enc.BucketKeyBlob, map[string]string{"aws:s3:arn": bucketARN(bucket)})
			if err != nil {
				return DataKeys{}, fmt.Errorf("bucket key: %w", err)
			}
			defer clear(plain)
			dek, err := OpenWithKey(bucketKEK(plain), enc.SealedKey, aad)
			return DataKeys{DEK: dek}, err
		}
		encCtx, err := kmsContext(enc.Context, objectARN(bucket, key))
		if err != nil {
			return DataKeys{}, fmt.Errorf("encryption context: %w", err)
		}
		var keys DataKeys
		if keys.DEK, err = offline.UnsealOffline(ctx, enc.SealedKey, encCtx); err != nil {
			return DataKeys{}, err
		}
		if enc.Type == kura.SSEDSSE {
			if keys.DEK2, err = offline.UnsealOffline(ctx, enc.SealedKey2, encCtx); err != nil {
				return DataKeys{}, fmt.Errorf("second layer: %w", err)
			}
		}
		return keys, nil
	}
	return DataKeys{}, fmt.Errorf("unknown encryption type %q", enc.Type)
}

// KeyPermitted checks, without using the key, that acc's caller may
// perform each of actions ("Encrypt", "ReEncryptTo", …) on KMS key keyID
// through S3, with encCtx as the encryption context. Operations that call
// the KMS several times on the caller's behalf use it to refuse a missing
// permission before they change anything (UpdateObjectEncryption). A KMS
// refusal is S3's 403 AccessDenied, other KMS errors their KMS.* form.
func (e *Envelope) KeyPermitted(ctx context.Context, acc Access, keyID string, encCtx map[string]string, actions ...string) error {
	if e.kms == nil {
		return errNoKMS
	}
	if err := e.kms.CheckKeyUse(ctx, e.viaS3(acc.Caller), keyID, encCtx, actions...); err != nil {
		return kmsError(err)
	}
	return nil
}

// CheckKeyID checks the form of a KMS key id given for a bucket's default
// encryption: the error (S3's KMS.NotFoundException or
// KMS.ValidationException, 400) is the one every write under that default
// would otherwise get. Whether the key exists is not checked, as S3 does
// not: an alias may be created later. Without a KMS nothing is checked:
// the writes themselves are refused.
func (e *Envelope) CheckKeyID(id string) error {
	if e.kms == nil {
		return nil
	}
	if err := e.kms.CheckKeyID(id); err != nil {
		return kmsError(err)
	}
	return nil
}

// viaS3 marks a KMS call as made by S3 on the caller's behalf.
func (e *Envelope) viaS3(c kura.Call) kura.Call {
	c.Source.InvokedBy = "s3.amazonaws.com"
	c.Source.ViaService = "s3." + e.region + ".amazonaws.com"
	return c
}

// kmsError turns a KMS failure into the S3 error S3 sends: KMS exceptions
// are 400s named "KMS.<Exception>", a KMS access denial is S3's 403 with
// the KMS's message, as S3 passes it on ("User: … is not authorized to
// perform: kms:Decrypt on resource: <key ARN> …": the caller's own ARN,
// the action and the key, which names the missing permission without
// telling anything the caller could not read from HEAD), and throttling
// is a retryable 503.
func kmsError(err error) error {
	var ke KMSException
	if !errors.As(err, &ke) {
		return s3err.Internal(err)
	}
	switch ke.ErrorCode() {
	case "AccessDeniedException":
		if msg := ke.ErrorMessage(); sameAccountDenial(msg) {
			return s3err.AccessDenied.WithMessage("%s", msg).Wrap(err)
		}
		return s3err.AccessDenied.Wrap(err)
	case "ThrottlingException":
		return s3err.SlowDown.Wrap(err)
	}
	if ke.HTTPStatusCode() >= 500 {
		// The KMS's own failure: a metadata store outage behind it keeps
		// its 503 ServiceUnavailable (retryable), anything else is S3's
		// InternalError.
		return s3err.Internal(err)
	}
	return (&s3err.Error{Code: "KMS." + ke.ErrorCode(), Status: 400, Message: ke.ErrorMessage()}).Wrap(err)
}

// kmsDenial reads a KMS denial's "User: <ARN> is not authorized to
// perform: … on resource: <key ARN>".
var kmsDenial = regexp.MustCompile(`^User: arn:aws:(?:iam|sts)::(\d{12}):\S+ is not authorized to perform: kms:\w+ on resource: arn:aws:kms:[^:]*:(\d{12}):`)

// sameAccountDenial reports whether a KMS denial is of a caller of the
// key's own account: S3 says which permission is missing then, and only
// "Access Denied" to another account's caller (as ops.Denial does).
func sameAccountDenial(msg string) bool {
	m := kmsDenial.FindStringSubmatch(msg)
	return m != nil && m[1] == m[2]
}

// kmsKeyID is the key S3 uses when a request names none: the AWS managed
// key aws/s3 of the caller's account.
func kmsKeyID(id string) string {
	if id == "" {
		return "alias/aws/s3"
	}
	return id
}

// sealAAD binds a sealed data key to its purpose and to the object it
// protects, so a sealed key cannot be moved to another object's record.
func sealAAD(bucket, key string) []byte {
	return []byte("kura/sse-s3/v1\x00" + bucket + "\x00" + key)
}

// OpenObjectKey opens the SSE-S3 data key sealed for bucket/key, as
// Envelope.Open does: the root key guard uses it to tell whether m is the
// key an existing store was sealed under.
func (m *ManagedKey) OpenObjectKey(sealed []byte, bucket, key string) ([]byte, error) {
	return m.Open(sealed, sealAAD(bucket, key))
}

// SealObjectKey seals dek as the SSE-S3 data key of bucket/key, as a PUT
// does; benchmarks use it to make object records without writing data.
func (m *ManagedKey) SealObjectKey(dek []byte, bucket, key string) ([]byte, error) {
	return m.Seal(dek, sealAAD(bucket, key))
}

func objectARN(bucket, key string) string { return "arn:aws:s3:::" + bucket + "/" + key }
func bucketARN(bucket string) string      { return "arn:aws:s3:::" + bucket }

// kmsContext is the encryption context S3 passes to KMS: the user's pairs
// plus aws:s3:arn (the object ARN, or the bucket ARN under a bucket key).
func kmsContext(user, arn string) (map[string]string, error) {
	m := map[string]string{}
	if user != "" {
		if err := json.Unmarshal([]byte(user), &m); err != nil {
			return nil, err
		}
	}
	m["aws:s3:arn"] = arn
	return m, nil
}

// customerKEK derives the key that wraps a DEK under an SSE-C key.
func customerKEK(key []byte) []byte { return DeriveKey(key, "kura sse-c kek v1") }

// customerKeyHMAC is the salted HMAC S3 keeps to recognise an SSE-C key
// without storing it.
func customerKeyHMAC(salt, key []byte) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write(key)
	return m.Sum(nil)
}

var errWrongCustomerKey = s3err.AccessDenied.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.")

// CheckCustomerKey verifies an SSE-C key against an object's or upload's
// encryption block, as S3 does before any read: a missing key is a 400, a
// wrong key a 403. The comparison is constant-time.
func CheckCustomerKey(enc kura.Encryption, key []byte) error {
	if enc.Type != kura.SSEC {
		if key != nil {
			return s3err.InvalidRequest.WithMessage("The encryption parameters are not applicable to this object.")
		}
		return nil
	}
	if key == nil {
		return s3err.InvalidRequest.WithMessage("The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
	}
	if !hmac.Equal(customerKeyHMAC(enc.CustomerKeySalt, key), enc.CustomerKeyHMAC) {
		return errWrongCustomerKey
	}
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
